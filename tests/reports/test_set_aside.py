"""Set-aside and provisional one-click scores are in no figure; their number is shown beside n.

Rollups, the live path, the summary API, the dashboard, the admin's campaign figures and the
admin list of clicks. Dates are relative to today and the clock is moved explicitly.
"""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from surveys import exports
from surveys import models as m
from surveys.answers import AnswerData
from surveys.reports.admin_figures import campaign_row_figures, campaigns_with_figures
from surveys.reports.digest import digest_content
from surveys.reports.filters import ReportFilters, site_today, site_tz
from surveys.reports.rollups_write import rollups_refresh
from surveys.reports.set_aside import scanner_clicks_set_aside
from surveys.services.responses import response_submit
from surveys.services.score_clicks import score_click_record, score_clicks_settle
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory
from tests.reports.helpers import at, ticket

pytestmark = pytest.mark.django_db

SUMMARY = reverse("surveys:api_metrics_summary")
DASHBOARD = reverse("surveys:reports")
CLICKS = reverse("admin:surveys_scoreclick_changelist")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def day():
    return site_today() - timedelta(days=3)


@pytest.fixture
def clicks(day, settings):
    """On ``day`` at noon: a scanner sweeps three links of one email (set aside) and a person
    opens one link of another (provisional until the window passes, then counted)."""
    settings.SCANNER_WINDOW_SECONDS = 120
    campaign = CampaignFactory(name="After support")
    nps = QuestionFactory(questionnaire=campaign.questionnaire, key="nps", kind=m.QuestionKind.NPS, order=1)
    noon = at(day)
    sent = noon - timedelta(hours=1)

    def email():
        return InvitationFactory(
            campaign=campaign, ticket=ticket(noon), sent_at=sent, expires_at=sent + timedelta(days=14)
        )

    def click(invitation, score, when):
        with time_machine.travel(when, tick=False):
            score_click_record(
                invitation=invitation,
                question=nps,
                score=score,
                language="en",
                source="link",
                user_agent=BROWSER,
                network="203.0.113.0/24",
            )

    scanned, person = email(), email()
    for i, score in enumerate((0, 5, 10)):
        click(scanned, score, noon + timedelta(seconds=i))
    click(person, 9, noon + timedelta(seconds=30))
    return {"campaign": campaign, "noon": noon, "scanned": scanned, "person": person}


def _summary(client, day, **extra):
    query = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat(), **extra}
    return client.get(SUMMARY, query).json()


@pytest.mark.parametrize("rollups", [True, False])
def test_nothing_counts_until_the_window_passes_then_only_the_persons_click(manager_client, clicks, day, rollups):
    with override_settings(REPORT_ROLLUPS=rollups):
        rollups_refresh(full=True)
        before = _summary(manager_client, day)
        assert before["nps"]["n"] == 0
        assert before["response_rate"]["responses"] == 0
        assert before["set_aside_scanner"] == {"n": 3}

        score_clicks_settle()  # beat, once the window has passed
        rollups_refresh()  # incremental: picks the day up from the settled response
        after = _summary(manager_client, day)
    assert (after["nps"]["n"], after["nps"]["promoters"]) == (1, 1)
    assert after["response_rate"] == {"value": 50.0, "sent": 2, "responses": 1}
    assert after["set_aside_scanner"] == {"n": 3}
    if rollups:
        day_row = m.ResponseDay.objects.get(day=day, grain=0)
        assert (day_row.responses, day_row.promoters, day_row.detractors) == (1, 1, 0)


def test_the_set_aside_count_follows_the_filters(clicks, day):
    period = ReportFilters(start=day, end=day + timedelta(days=1))
    assert scanner_clicks_set_aside(period) == 3
    assert scanner_clicks_set_aside(ReportFilters(start=day, end=day + timedelta(days=1), campaign=clicks["campaign"].pk)) == 3
    assert scanner_clicks_set_aside(ReportFilters(start=day, end=day + timedelta(days=1), campaign=clicks["campaign"].pk + 1)) == 0
    assert scanner_clicks_set_aside(ReportFilters(start=day + timedelta(days=1), end=day + timedelta(days=2))) == 0
    assert scanner_clicks_set_aside(ReportFilters(start=day, end=day + timedelta(days=1), channel="fax")) == 0


def test_the_dashboard_says_how_many_were_set_aside(manager_client, clicks, day):
    query = f"start={day.isoformat()}&end={(day + timedelta(days=1)).isoformat()}"
    html = manager_client.get(f"{DASHBOARD}?{query}").content.decode()
    assert "3 one-click scores set aside as likely mail-scanner clicks (not counted)." in html

    later = day + timedelta(days=1)
    quiet = manager_client.get(f"{DASHBOARD}?start={later.isoformat()}&end={(later + timedelta(days=1)).isoformat()}")
    assert "data-set-aside" not in quiet.content.decode()


def test_the_admins_campaign_figures_leave_out_unsettled_and_set_aside_clicks(clicks):
    figures = lambda: campaign_row_figures(  # noqa: E731
        campaigns_with_figures(
            m.Campaign.objects.filter(pk=clicks["campaign"].pk), today=timezone.localdate(clicks["noon"], site_tz())
        ).get()
    )
    assert figures()["nps"] == (None, 0)
    score_clicks_settle()
    assert figures()["nps"] == (100.0, 1)


def test_managers_see_the_clicks_with_their_reason_and_cannot_change_them(manager_client, clicks):
    page = manager_client.get(CLICKS, {"verdict__exact": "set_aside"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("Different scores of one email within seconds") >= 3
    assert "203.0.113.0/24" in html and "Chrome/131.0" in html
    click = m.ScoreClick.objects.first()
    assert manager_client.get(reverse("admin:surveys_scoreclick_change", args=[click.pk])).status_code == 200
    assert manager_client.post(reverse("admin:surveys_scoreclick_delete", args=[click.pk])).status_code == 403
    assert manager_client.get(reverse("admin:surveys_scoreclick_add")).status_code == 403


def test_people_who_may_not_read_responses_do_not_see_the_clicks(designer_client, clicks):
    assert designer_client.get(CLICKS).status_code == 403


def test_the_weekly_digest_says_how_many_were_set_aside(clicks, day):
    content = digest_content(today=day + timedelta(days=1))
    line = "3 one-click scores set aside as likely mail-scanner clicks (not counted)."
    assert line in content["text"] and line in content["html"]
    assert "mail-scanner" not in digest_content(today=day)["text"]  # the week before: none


def _scanned_then_answered(clicks):
    """The scanned email is answered in full five minutes later; the person's click settles."""
    nps = clicks["scanned"].questionnaire.questions.get(key="nps")
    with time_machine.travel(clicks["noon"] + timedelta(minutes=5), tick=False):
        response_submit(invitation=clicks["scanned"], answers=[AnswerData(question=nps, number=6)], language="en")
    score_clicks_settle()


def test_the_responses_export_marks_a_response_whose_email_was_swept_first(manager, clicks, day):
    _scanned_then_answered(clicks)

    rows = list(exports.response_rows(ReportFilters(start=day, end=day + timedelta(days=1))))
    col = rows[0].index("scanner_clicks_set_aside")
    nps_col = rows[0].index("nps")
    assert sorted((row[nps_col], row[col]) for row in rows[1:]) == [(6, 3), (9, 0)]


@pytest.mark.postgres
def test_the_postgres_copy_export_marks_them_the_same_way(manager, clicks, day):
    _scanned_then_answered(clicks)
    filters = ReportFilters(start=day, end=day + timedelta(days=1))
    record = exports.export_record(user=manager, kind="responses", fmt="csv", filters=filters)
    python = "".join(exports._csv_stream(record, exports.ROWS["responses"](filters)))
    copied = b"".join(exports._copy_csv_stream(record, "responses", filters)).decode()
    assert list(csv.reader(io.StringIO(copied))) == list(csv.reader(io.StringIO(python)))
    rows = list(csv.reader(io.StringIO(copied)))
    col = rows[0].index("scanner_clicks_set_aside")
    assert sorted(row[col] for row in rows[1:]) == ["0", "3"]
