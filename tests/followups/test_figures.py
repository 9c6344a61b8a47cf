"""The follow-up figures (docs/metrics.md, "Follow-up figures") against a plain-Python
reference over the same rows, hidden below the minimum sample, on the dashboard and the API."""

import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.reports.filters import filters_parse
from surveys.reports.followups import followup_figures
from surveys.services.followups import followup_close
from tests.factories import ResponseFactory

from .conftest import make_case

pytestmark = pytest.mark.django_db

WAITS_H = [1, 2, 3, 5, 8, 13]  # hours from opening to first contact, one per contacted case
FIRST_AND_AGAIN = [(2, 9), (0, 5), (6, 10), (3, 3), (4, 8)]  # (first NPS, re-survey NPS)


def contacted(case, hours):
    m.FollowUp.objects.filter(pk=case.pk).update(first_contact_at=case.created_at + timedelta(hours=hours))


def answered_resurvey(case, score):
    followup_close(followup=case, outcome=m.FollowUpOutcome.RECOVERED, resurvey=True)
    invitation = m.Invitation.objects.get(resurvey_of=case)
    ResponseFactory(invitation=invitation, nps_score=score)


@pytest.fixture
def cohort(db):
    """Flagged responses of today: 6 contacted, 2 never contacted (one overdue), 5 re-surveyed,
    one detractor whose campaign opened no case, and a promoter outside the cohort."""
    now = timezone.now()
    cases = {"contacted": [], "open": [], "resurveyed": []}
    for hours in WAITS_H:
        case = make_case(nps=1)
        contacted(case, hours)
        cases["contacted"].append(case)
    for overdue in (True, False):
        case = make_case(complaint=True, nps=None)
        m.FollowUp.objects.filter(pk=case.pk).update(due_at=now + timedelta(hours=-1 if overdue else 1))
        cases["open"].append(case)
    for first, again in FIRST_AND_AGAIN:
        case = make_case(nps=first)
        answered_resurvey(case, again)
        cases["resurveyed"].append(case)
    ResponseFactory(nps_score=4)  # a detractor without a case
    ResponseFactory(nps_score=10)  # a promoter: not in the cohort
    return cases


def reference(cohort) -> dict:
    """The figures computed by hand from what the fixture made."""
    flagged = len(WAITS_H) + 2 + len(FIRST_AND_AGAIN) + 1
    contacted_n = len(WAITS_H)
    open_cases = [*cohort["contacted"], *cohort["open"]]  # re-surveyed cases are closed
    overdue = 1  # only the open case whose due time passed (the others are due in 48 h)
    changes = [again - first for first, again in FIRST_AND_AGAIN]
    return {
        "followed_up": 100 * contacted_n / flagged,
        "median_s": statistics.median(h * 3600 for h in WAITS_H),
        "overdue_pct": 100 * overdue / len(open_cases),
        "overdue": overdue,
        "open": len(open_cases),
        "change": sum(changes) / len(changes),
        "recovered": 100 * sum(again >= 7 for _first, again in FIRST_AND_AGAIN) / len(FIRST_AND_AGAIN),
    }


def test_figures_match_a_plain_python_reference(cohort):
    want = reference(cohort)

    got = followup_figures(filters_parse({}), now=timezone.now())

    assert got["followed_up"]["value"] == pytest.approx(want["followed_up"])
    assert got["followed_up"]["n"] == len(WAITS_H) + 2 + len(FIRST_AND_AGAIN) + 1
    assert got["first_contact_median_s"]["value"] == pytest.approx(want["median_s"])
    assert got["first_contact_median_s"]["n"] == len(WAITS_H)
    assert (got["overdue"]["count"], got["overdue"]["n"]) == (want["overdue"], want["open"])
    assert got["overdue"]["value"] == pytest.approx(want["overdue_pct"])
    assert got["recovery_change"]["value"] == pytest.approx(want["change"])
    assert got["recovered"]["value"] == pytest.approx(want["recovered"])
    assert got["recovered"]["n"] == len(FIRST_AND_AGAIN)


def test_figures_below_the_minimum_sample_are_hidden_with_their_n(settings):
    settings.REPORT_MIN_SAMPLE = 5
    for hours in (1, 2, 3):
        contacted(make_case(), hours)
    case = make_case()
    answered_resurvey(case, 9)

    got = followup_figures(filters_parse({}), now=timezone.now())

    for key in ("followed_up", "first_contact_median_s", "overdue", "recovery_change", "recovered"):
        assert got[key]["value"] is None and got[key]["shown"] is False, key
    assert (got["followed_up"]["n"], got["followed_up"]["count"]) == (4, 3)
    assert got["recovered"]["n"] == 1


def test_period_and_filters_choose_the_cohort(cohort):
    past = timezone.now() - timedelta(days=90)
    m.Response.objects.filter(followup__in=cohort["contacted"]).update(started_at=past)

    got = followup_figures(filters_parse({}), now=timezone.now())

    assert got["first_contact_median_s"]["n"] == 0
    other_team = cohort["open"][0].ticket.team_id
    only = followup_figures(filters_parse({"team": str(other_team)}), now=timezone.now())
    assert only["followed_up"]["n"] == 1


def test_dashboard_and_api_show_the_figures(manager_client, cohort):
    want = reference(cohort)

    page = manager_client.get(reverse("surveys:reports")).content.decode()
    data = manager_client.get(reverse("surveys:api_metrics_followups")).json()

    assert "data-followups" in page
    row = page.split('data-figure="followed_up"')[1].split("</tr>")[0]
    assert "42.9" in row and "6 contacted of n = 14" in row  # 6 of 14: 42.857 %
    assert data["followed_up"]["value"] == pytest.approx(want["followed_up"])
    assert data["overdue"]["count"] == 1
    assert data["min_sample"] == 5


def test_agent_reads_only_their_own_tickets_figures(agent_client, cohort):
    data = agent_client.get(reverse("surveys:api_metrics_followups")).json()
    assert data["followed_up"]["n"] == 0


def test_api_refuses_bad_filters_and_outsiders(manager_client, outsider_client):
    assert manager_client.get(reverse("surveys:api_metrics_followups") + "?start=nope").status_code == 400
    assert outsider_client.get(reverse("surveys:api_metrics_followups")).status_code == 403
