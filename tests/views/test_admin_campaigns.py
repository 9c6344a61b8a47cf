"""Campaign admin: who may do what, the grouped form, template checks and the email preview."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import models as m
from tests.factories import (
    CampaignFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    campaign_admin_form,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:surveys_campaign_add")
LIST_URL = reverse("admin:surveys_campaign_changelist")


def preview_url(campaign, lang=None):
    url = reverse("admin:surveys_campaign_email_preview", args=[campaign.pk])
    return f"{url}?lang={lang}" if lang else url


def campaign_post(questionnaire, **overrides):
    """A new campaign with every kind of setting filled in (lists as a designer types them)."""
    return campaign_admin_form(
        questionnaire,
        **{
            "delay_minutes": "30",
            "filter_categories": "billing, account , billing,",
            "filter_priorities": [m.Priority.HIGH, m.Priority.URGENT],
            "filter_segments": "gold",
            "sample_rate": "50",
            "throttle_days": "30",
            "reminder_after_hours": "48",
            "low_csat_is_complaint": "on",
            "create_followups": "on",
            "alert_recipients": " lead@example.com \n\nboss@example.com",
            **overrides,
        },
    )


@pytest.fixture
def questionnaire():
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    return questionnaire


def test_designer_adds_a_campaign_with_list_filters_parsed(designer_client, questionnaire):
    response = designer_client.post(ADD_URL, campaign_post(questionnaire))

    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = m.Campaign.objects.get(name="After support")
    assert campaign.filter_categories == ["billing", "account"]
    assert campaign.filter_priorities == [m.Priority.HIGH, m.Priority.URGENT]
    assert campaign.filter_channels == []
    assert campaign.filter_segments == ["gold"]
    assert campaign.alert_recipients == "lead@example.com\nboss@example.com"
    assert campaign.sample_rate == 50


def test_add_form_groups_settings_in_fieldsets(designer_client):
    response = designer_client.get(ADD_URL)

    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names == ["Questionnaire & schedule", "Filters", "Sending rules", "Email", "Complaints & alerts"]
    assert 'type="checkbox" name="filter_priorities" value="urgent"' in response.content.decode()


def test_change_form_shows_lists_as_comma_separated_text(designer_client):
    campaign = CampaignFactory(filter_categories=["billing", "account"], filter_priorities=["high"])

    response = designer_client.get(reverse("admin:surveys_campaign_change", args=[campaign.pk]))

    html = response.content.decode()
    assert 'value="billing, account"' in html
    assert 'name="filter_priorities" value="high" id="id_filter_priorities_2" checked' in html
    assert preview_url(campaign) in html


@pytest.mark.parametrize("field", ["email_subject", "email_body", "email_subject_zh_hans", "email_body_zh_hans"])
def test_broken_email_template_is_refused_and_nothing_saved(designer_client, questionnaire, field):
    response = designer_client.post(ADD_URL, campaign_post(questionnaire, **{field: "Hi {% if %}x{% endif %}"}))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert "This template has an error" in errors[field][0]
    assert "if" in errors[field][0]
    assert "This template has an error" in response.content.decode()
    assert not m.Campaign.objects.exists()


def test_bad_alert_recipient_is_named_in_the_error(designer_client, questionnaire):
    response = designer_client.post(
        ADD_URL, campaign_post(questionnaire, alert_recipients="ok@example.com\nnot-an-address")
    )

    errors = response.context["adminform"].form.errors
    assert "not-an-address" in errors["alert_recipients"][0]
    assert "ok@example.com" not in errors["alert_recipients"][0]
    assert not m.Campaign.objects.exists()


def test_unknown_priority_is_refused(designer_client, questionnaire):
    response = designer_client.post(ADD_URL, campaign_post(questionnaire, filter_priorities=["whenever"]))

    assert "filter_priorities" in response.context["adminform"].form.errors
    assert not m.Campaign.objects.exists()


def test_manager_sees_campaigns_but_cannot_add(manager_client, questionnaire):
    CampaignFactory(name="Visible one")

    assert "Visible one" in manager_client.get(LIST_URL).content.decode()
    assert manager_client.get(ADD_URL).status_code == 403
    assert manager_client.post(ADD_URL, campaign_post(questionnaire)).status_code == 403
    assert not m.Campaign.objects.filter(name="After support").exists()


def test_outsider_is_forbidden_and_agent_sent_to_login(outsider_client, agent_client):
    campaign = CampaignFactory()

    for url in (LIST_URL, ADD_URL, preview_url(campaign)):
        assert outsider_client.get(url).status_code == 403
        response = agent_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_changelist_counts_invitations_per_status(designer_client):
    campaign = CampaignFactory(name="Counted")
    InvitationFactory.create_batch(2, campaign=campaign, status=m.InvitationStatus.SENT)
    InvitationFactory(
        campaign=campaign, status=m.InvitationStatus.SUPPRESSED, suppression_reason=m.SuppressionReason.THROTTLED
    )

    html = designer_client.get(LIST_URL).content.decode()

    assert "Sent: 2, Suppressed: 1" in html


def test_changelist_queries_do_not_grow_with_rows(designer_client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = designer_client.get(LIST_URL)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for campaign in CampaignFactory.create_batch(2):
        InvitationFactory(campaign=campaign)
    first = count_queries()
    for campaign in CampaignFactory.create_batch(10):
        InvitationFactory(campaign=campaign)
    assert count_queries() == first


def test_email_preview_shows_subject_score_links_and_text(designer_client, questionnaire):
    campaign = CampaignFactory(questionnaire=questionnaire, email_subject="About {{ ticket_subject }}")

    response = designer_client.get(preview_url(campaign))

    html = response.content.decode()
    assert response.status_code == 200
    assert "About I cannot sign in to my account" in html
    # The HTML body sits escaped inside the iframe's srcdoc; the text body is plain.
    assert "srcdoc=" in html
    assert "/s/sample-preview-token/?score=0" in html
    assert "/s/sample-preview-token/?score=10" in html
    assert "&lt;table role=&quot;presentation&quot;" in html
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in html
    assert m.Invitation.objects.count() == 0
    assert m.Ticket.objects.count() == 0


def test_email_preview_in_chinese_uses_the_chinese_subject(manager_client, questionnaire):
    campaign = CampaignFactory(
        questionnaire=questionnaire,
        email_subject="English subject",
        email_subject_zh_hans="关于您的工单：{{ ticket_id }}",
    )

    html = manager_client.get(preview_url(campaign, "zh-hans")).content.decode()

    assert "关于您的工单：SAMPLE-1042" in html
    assert "English subject" not in html
    assert "您向朋友或同事推荐我们的可能性有多大？" in html


def test_email_preview_ignores_an_unknown_language(designer_client, questionnaire):
    campaign = CampaignFactory(questionnaire=questionnaire, email_subject="English subject")

    response = designer_client.get(preview_url(campaign, "xx"))

    assert response.status_code == 200
    assert "English subject" in response.content.decode()


def test_email_preview_of_missing_campaign_is_404(designer_client):
    assert designer_client.get("/admin/surveys/campaign/987654/email-preview/").status_code == 404
