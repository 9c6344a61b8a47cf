"""The non-response check: ticket figures of answered against unanswered invitations, against a
plain-Python computation, with its warning, n on both sides, and nothing below the minimum."""

import math
import statistics
from datetime import timedelta

import pytest
from django.urls import reverse

from surveys import models as m
from surveys.reports.filters import ReportFilters
from surveys.reports.nonresponse import non_response
from tests.factories import InvitationFactory
from tests.reports.conftest import END, PERIOD, START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

DAY = START + timedelta(days=2)
SLA_S = 24 * 3600  # the helpers' resolution target


def _answered(count):
    """Fast tickets, solved at the first contact, within the SLA; each answered."""
    made = []
    for i in range(count):
        t = ticket(at(DAY), res_s=3600 + 600 * i, contact_count=1, reopen_count=0)
        response(t, at(DAY), nps=9)
        made.append(t)
    return made


def _unanswered(count, day=DAY):
    """Slow tickets, every third needing a second contact, most past the SLA; never answered."""
    made = []
    for i in range(count):
        t = ticket(at(day), res_s=20 * 3600 + 1800 * i, contact_count=2 if i % 3 == 0 else 1, reopen_count=0)
        InvitationFactory(ticket=t, sent_at=at(day) - timedelta(hours=1))
        made.append(t)
    return made


def _reference(answered, unanswered):
    """The same figures in plain Python."""

    def side(tickets):
        times = [t.resolution_s for t in tickets]
        fcr = sum(t.contact_count <= 1 and t.reopen_count == 0 for t in tickets)
        met = sum(t.resolution_s <= t.sla_resolution_target_s for t in tickets)
        return {"times": times, "fcr": fcr, "met": met, "n": len(tickets)}

    a, b = side(answered), side(unanswered)
    welch = math.sqrt(statistics.variance(a["times"]) / a["n"] + statistics.variance(b["times"]) / b["n"])

    def pooled(x1, x2):
        p = (x1 + x2) / (a["n"] + b["n"])
        return 100 * math.sqrt(p * (1 - p) * (1 / a["n"] + 1 / b["n"]))

    return {
        "medians": (statistics.median(a["times"]), statistics.median(b["times"])),
        "mean_gap": statistics.fmean(a["times"]) - statistics.fmean(b["times"]),
        "welch_se": welch,
        "fcr": (100 * a["fcr"] / a["n"], 100 * b["fcr"] / b["n"], pooled(a["fcr"], b["fcr"])),
        "sla": (100 * a["met"] / a["n"], 100 * b["met"] / b["n"], pooled(a["met"], b["met"])),
    }


def test_answered_fast_tickets_are_flagged_as_over_represented():
    answered, unanswered = _answered(12), _unanswered(15)
    _unanswered(4, day=START - timedelta(days=3))  # sent before the period: not counted
    for t in answered + unanswered:
        t.refresh_from_db()
    ref = _reference(answered, unanswered)

    check = non_response(ReportFilters(start=START, end=END))

    assert (check["answered"]["n"], check["not_answered"]["n"]) == (12, 15)
    times = (check["answered"]["resolution_time"], check["not_answered"]["resolution_time"])
    assert (times[0]["median_s"], times[1]["median_s"]) == pytest.approx(ref["medians"])
    assert (times[0]["n"], times[1]["n"]) == (12, 15)
    fcr = (check["answered"]["fcr"]["value"], check["not_answered"]["fcr"]["value"])
    assert fcr == pytest.approx(ref["fcr"][:2])
    sla = (check["answered"]["sla_resolution"]["value"], check["not_answered"]["sla_resolution"]["value"])
    assert sla == pytest.approx(ref["sla"][:2])
    differences = check["differences"]
    assert differences["resolution_time"]["difference"] == pytest.approx(
        ref["medians"][0] - ref["medians"][1]
    )
    assert (
        differences["resolution_time"]["significant"]
        is (abs(ref["mean_gap"]) > 1.96 * ref["welch_se"])
        is True
    )
    fcr_gap = ref["fcr"][0] - ref["fcr"][1]
    assert differences["fcr"]["significant"] is (abs(fcr_gap) > 1.96 * ref["fcr"][2])
    sla_gap = ref["sla"][0] - ref["sla"][1]
    assert differences["sla_resolution"]["significant"] is (abs(sla_gap) > 1.96 * ref["sla"][2]) is True
    codes = {w["code"] for w in check["warnings"]}
    assert {"fast_tickets", "sla_met_tickets"} <= codes
    assert ("first_contact_tickets" in codes) is differences["fcr"]["significant"]


def test_the_dashboard_and_the_api_show_the_check_and_its_warning(manager_client):
    _answered(12), _unanswered(15)
    html = manager_client.get(f"{reverse('surveys:reports')}?{PERIOD}").content.decode()
    section = html[html.index("report-non-response") : html.index("verbatims-title")]
    assert "Answers may over-represent fast tickets." in section
    assert "n=12" in section and "n=15" in section
    data = manager_client.get(f"{reverse('surveys:api_metrics_summary')}?{PERIOD}").json()["non_response"]
    assert data["answered"]["n"] == 12 and data["not_answered"]["n"] == 15
    assert "fast_tickets" in {w["code"] for w in data["warnings"]}


def test_below_the_minimum_sample_nothing_is_compared_or_shown(manager_client):
    _answered(3), _unanswered(15)
    check = non_response(ReportFilters(start=START, end=END))
    assert check["warnings"] == []
    assert all(
        d == {"difference": None, "significant": None, "too_few_to_compare": True}
        for d in check["differences"].values()
    )
    html = manager_client.get(f"{reverse('surveys:reports')}?{PERIOD}").content.decode()
    section = html[html.index("report-non-response") : html.index("verbatims-title")]
    assert "too few to compare" in section and "over-represent" not in section
    row = section[section.index('data-metric="fcr"') :]
    assert "— <span" in row.split("</td>")[0] and "n=3" in row  # the answered side: hidden, with n


def test_filters_apply_to_the_check():
    answered = _answered(6)
    other = m.Team.objects.create(name="Elsewhere")
    for t in answered[:2]:
        t.team = other
        t.save()
    check = non_response(ReportFilters(start=START, end=END, team=other.pk))
    assert check["answered"]["n"] == 2 and check["not_answered"]["n"] == 0
