"""Campaign admin: a warning on save and a note on the change page when active campaigns overlap."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from surveys import models as m
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory, campaign_admin_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire():
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    return questionnaire


def warnings(response) -> list[str]:
    return [str(msg) for msg in get_messages(response.wsgi_request) if msg.level_tag == "warning"]


def test_saving_a_campaign_that_overlaps_warns_and_names_the_winner(designer_client, questionnaire):
    CampaignFactory(name="Billing follow-up", priority=10, filter_categories=["billing"])
    response = designer_client.post(
        reverse("admin:surveys_campaign_add"),
        campaign_admin_form(questionnaire, name="Everything", priority="100"),
    )
    assert response.status_code == 302
    (warning,) = warnings(response)
    assert "Billing follow-up" in warning
    assert "priority 10" in warning
    assert "“Billing follow-up” among these" in warning
    assert m.Campaign.objects.filter(name="Everything").exists()


def test_saving_a_campaign_with_disjoint_filters_does_not_warn(designer_client, questionnaire):
    CampaignFactory(filter_categories=["billing"])
    response = designer_client.post(
        reverse("admin:surveys_campaign_add"),
        campaign_admin_form(questionnaire, filter_categories="shipping"),
    )
    assert response.status_code == 302
    assert warnings(response) == []


def test_saving_an_inactive_campaign_does_not_warn(designer_client, questionnaire):
    CampaignFactory()
    response = designer_client.post(
        reverse("admin:surveys_campaign_add"), campaign_admin_form(questionnaire, is_active=None)
    )
    assert response.status_code == 302
    assert warnings(response) == []


def test_change_page_notes_the_overlap_with_a_link_to_the_other_campaign(designer_client):
    campaign = CampaignFactory(priority=5)
    other = CampaignFactory(name="Other <b>one</b>", priority=7)
    page = designer_client.get(reverse("admin:surveys_campaign_change", args=[campaign.pk]))
    html = page.content.decode()
    assert 'class="errornote overlap-note"' in html
    assert reverse("admin:surveys_campaign_change", args=[other.pk]) in html
    # A campaign name is text a designer typed: escaped, never markup.
    assert "Other &lt;b&gt;one&lt;/b&gt;" in html
    assert f"“{campaign.name}” among these" in html


def test_change_page_without_overlap_has_no_note(designer_client):
    campaign = CampaignFactory(filter_channels=["chat"])
    CampaignFactory(filter_channels=["email"])
    page = designer_client.get(reverse("admin:surveys_campaign_change", args=[campaign.pk]))
    assert b"overlap-note" not in page.content
