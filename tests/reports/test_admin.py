"""Report figures in the admin: the index link, campaign figures, answer distributions, tokens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.models.reporting import token_hash
from surveys.reports.admin_figures import (
    campaign_detail,
    campaign_detail_html,
    campaign_figure_display,
    campaign_row_figures,
    campaigns_with_figures,
)
from surveys.selectors import campaigns_with_invitation_counts
from tests.factories import AnswerFactory, CampaignFactory, InvitationFactory, QuestionFactory, UserFactory
from tests.reports.helpers import response, ticket

pytestmark = pytest.mark.django_db


def test_admin_index_links_managers_to_the_dashboard(manager_client, designer_client):
    assert reverse("surveys:reports") in manager_client.get(reverse("admin:index")).content.decode()
    assert reverse("surveys:reports") not in designer_client.get(reverse("admin:index")).content.decode()


def _campaign_with_answers(name, scores, complaint=False):
    campaign = CampaignFactory(name=name)
    now = timezone.now()
    for i, (nps, csat) in enumerate(scores):
        t = ticket(now, is_complaint=complaint and i == 0)
        response(t, now, campaign=campaign, nps=nps, csat=csat)
    InvitationFactory(campaign=campaign, ticket=ticket(now))  # sent, never answered
    return campaign


def test_campaign_figures_come_from_one_query_for_the_whole_page(roles):
    a = _campaign_with_answers("A", [(10, 5), (9, 4), (3, 1), (8, 3)], complaint=True)
    b = _campaign_with_answers("B", [(0, 1)])
    for i in range(3):
        _campaign_with_answers(f"filler {i}", [(5, 2)])
    with CaptureQueriesContext(connection) as ctx:
        rows = {
            c.pk: c
            for c in campaigns_with_invitation_counts(campaigns_with_figures(m.Campaign.objects.all()))
        }
    assert len(ctx) == 1
    figures = campaign_row_figures(rows[a.pk])
    assert figures["nps"] == (25.0, 4)  # promoters 2, detractors 1 of 4
    assert figures["csat"] == (50.0, 4)
    assert figures["complaint_rate"] == (20.0, 5)  # 1 of 5 tickets (4 answered + 1 not)
    assert figures["response_rate"] == (80.0, 5)
    assert campaign_row_figures(rows[b.pk])["nps"] == (-100.0, 1)
    # The invitation counts the campaign list already shows are not multiplied by the join.
    assert rows[a.pk].invitations_answered == 4 and rows[a.pk].invitations_sent == 1


def test_campaign_detail_has_summary_and_weekly_trend(roles):
    campaign = _campaign_with_answers("A", [(10, 5), (9, 4)])
    detail = campaign_detail(campaign)
    assert detail["summary"]["nps"]["n"] == 2 and detail["summary"]["nps"]["value"] == 100
    assert sum(p["n"] for p in detail["nps_trend"]) == 2


def test_questionnaire_change_page_shows_answer_distributions(manager_client):
    question = QuestionFactory(key="nps", kind=m.QuestionKind.NPS)
    choice = QuestionFactory(
        questionnaire=question.questionnaire,
        key="topic",
        kind=m.QuestionKind.MULTI_CHOICE,
        choices=[{"value": "speed", "en": "Speed"}, {"value": "tone", "en": "Tone"}],
        text="What mattered?",
    )
    for score in (10, 10, 3):
        AnswerFactory(
            question=question, number=score, response__invitation__questionnaire=question.questionnaire
        )
    AnswerFactory(question=choice, number=None, choices=["speed", "tone"])
    AnswerFactory(question=choice, number=None, choices=["speed"])
    url = reverse("admin:surveys_questionnaire_change", args=[question.questionnaire.pk])
    html = manager_client.get(url).content.decode()
    assert "Answer distribution per question" in html
    assert "3 answers" in html and "66.7 %" in html  # two of three answered 10
    assert 'Speed</th><td class="num">2<' in html
    assert 'Tone</th><td class="num">1<' in html


def test_api_token_key_is_shown_once_on_its_own_page_and_stored_hashed(roles):
    admin_user = UserFactory(username="root", is_superuser=True)
    from django.test import Client

    client = Client()
    client.force_login(admin_user)
    response = client.post(reverse("admin:surveys_apitoken_add"), {"user": admin_user.pk, "name": "BI"})
    token = m.ApiToken.objects.get()
    html = response.content.decode()
    key = html.split("data-api-token-key>")[1].split("<")[0]

    assert response.status_code == 200  # the page itself, not a redirect carrying the key
    assert token.prefix == key[:8] and key not in token.key_hash
    assert token_hash(key) == token.key_hash
    assert "no-store" in response["Cache-Control"]
    assert "messages" not in response.cookies  # never in the (signed, readable) messages cookie
    assert key not in client.get(reverse("admin:surveys_apitoken_changelist")).content.decode()
    assert key not in client.get(reverse("admin:surveys_apitoken_change", args=[token.pk])).content.decode()


def test_export_log_is_read_only(roles):
    from django.test import Client

    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get(reverse("admin:surveys_dataexport_add")).status_code == 403
    assert client.get(reverse("admin:surveys_dataexport_changelist")).status_code == 200


def test_campaign_cells_hide_small_samples_and_show_n(roles):
    big = _campaign_with_answers("Big", [(10, 5)] * 4 + [(0, 1)])
    small = _campaign_with_answers("Small", [(10, 5)])
    rows = {c.pk: c for c in campaigns_with_figures(m.Campaign.objects.all())}
    assert campaign_figure_display(rows[big.pk], "nps") == "60 (n=5)"
    assert campaign_figure_display(rows[small.pk], "nps") == "— (n=1)"
    assert campaign_figure_display(rows[small.pk], "response_rate") == "— (n=2)"


def test_campaign_detail_html_has_figures_trend_and_dashboard_link(roles):
    campaign = _campaign_with_answers("A<b>", [(10, 5), (9, 4)])
    html = campaign_detail_html(campaign)
    assert "n = 2" in html and "Weekly trend" in html
    assert f"campaign={campaign.pk}" in html
    assert campaign_detail_html(None) == "—"


def test_campaign_changelist_shows_30_day_figures_and_change_page_the_trend(manager_client):
    big = _campaign_with_answers("Big", [(10, 5)] * 5)
    _campaign_with_answers("Small", [(2, 1)])
    page = manager_client.get(reverse("admin:surveys_campaign_changelist")).content.decode()
    assert "NPS, 30 days" in page and "Response rate, 30 days" in page
    assert "100 (n=5)" in page  # Big: five promoters
    assert "— (n=1)" in page  # Small: hidden below the minimum sample
    detail = manager_client.get(reverse("admin:surveys_campaign_change", args=[big.pk])).content.decode()
    assert "Figures, last 90 days" in detail
