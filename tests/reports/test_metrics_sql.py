"""Every SQL figure against a plain-Python reference over random tickets and responses."""

import statistics
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from surveys import models as m
from surveys.reports.figures import breakdown, summary, trend
from surveys.reports.filters import ReportFilters
from tests.factories import InvitationFactory
from tests.reports.helpers import at, response, ticket

START = date(2026, 3, 2)
END = date(2026, 3, 12)

answers = st.fixed_dictionaries(
    {
        "day": st.integers(-3, 12),
        "nps": st.none() | st.integers(0, 10),
        "csat": st.none() | st.integers(1, 5),
        "ces": st.none() | st.integers(1, 7),
        "is_complaint": st.booleans(),
    }
)
tickets = st.fixed_dictionaries(
    {
        "day": st.integers(-3, 12),
        "closed": st.booleans(),
        "frt_s": st.none() | st.integers(0, 200_000),
        "res_s": st.integers(0, 400_000),
        "contact_count": st.integers(0, 3),
        "reopen_count": st.integers(0, 2),
        "is_complaint": st.booleans(),
        "sla_response_target_s": st.none() | st.sampled_from([3600, 14_400, 86_400]),
        "sla_resolution_target_s": st.none() | st.sampled_from([86_400, 172_800]),
        "responses": st.lists(answers, max_size=2),
        "unanswered_day": st.none() | st.integers(-3, 12),
    }
)


def in_period(moment):
    return at(START, 0) <= moment < at(END, 0)


def pct(part, whole):
    return None if not whole else 100 * part / whole


def durations(values):
    values = sorted(values)
    if not values:
        return {"mean_s": None, "median_s": None, "p90_s": None, "min_s": None, "max_s": None, "n": 0}
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    return {
        "mean_s": statistics.fmean(values),
        "median_s": statistics.median(values),
        "p90_s": p90,
        "min_s": values[0],
        "max_s": values[-1],
        "n": len(values),
    }


def build(specs):
    rows = []
    for spec in specs:
        moment = at(START + timedelta(days=spec["day"]), 10)
        kwargs = {
            k: spec[k]
            for k in (
                "contact_count",
                "reopen_count",
                "is_complaint",
                "sla_response_target_s",
                "sla_resolution_target_s",
            )
        }
        frt = min(spec["frt_s"], spec["res_s"]) if spec["frt_s"] is not None else None
        if spec["closed"]:
            t = ticket(moment, frt_s=frt, res_s=spec["res_s"], **kwargs)
        else:
            t = ticket(moment, frt_s=frt, res_s=spec["res_s"], status=m.TicketStatus.RESOLVED, **kwargs)
            t.closed_at = None
            t.opened_at = moment - timedelta(seconds=spec["res_s"])
            t.resolved_at = moment
            t.first_response_at = t.opened_at + timedelta(seconds=frt) if frt is not None else None
            t.save()
        made = [
            response(
                t,
                at(START + timedelta(days=a["day"]), 15),
                nps=a["nps"],
                csat=a["csat"],
                ces=a["ces"],
                is_complaint=a["is_complaint"],
            )
            for a in spec["responses"]
        ]
        if spec["unanswered_day"] is not None:
            InvitationFactory(ticket=t, sent_at=at(START + timedelta(days=spec["unanswered_day"]), 9))
        rows.append((t, made))
    return rows


def reference(rows):
    period_tickets = [t for t, _ in rows if in_period(t.closed_at or t.resolved_at)]
    complaint_ids = {t.pk for t, rs in rows if t.is_complaint or any(r.is_complaint for r in rs)}
    resolved = [t for t in period_tickets if t.resolved_at is not None]
    answered = [r for _, rs in rows for r in rs if in_period(r.started_at)]
    nps = [r.nps_score for r in answered if r.nps_score is not None]
    csat = [r.csat_score for r in answered if r.csat_score is not None]
    ces = [r.ces_score for r in answered if r.ces_score is not None]
    invitations = list(m.Invitation.objects.select_related("response").filter(sent_at__isnull=False))
    sent = [i for i in invitations if in_period(i.sent_at)]
    promoters, detractors = sum(s >= 9 for s in nps), sum(s <= 6 for s in nps)
    resp_sla = [
        t for t in period_tickets if t.sla_response_target_s is not None and t.first_response_s is not None
    ]
    res_sla = [
        t for t in period_tickets if t.sla_resolution_target_s is not None and t.resolution_s is not None
    ]
    return {
        "nps": (100 * (promoters - detractors) / len(nps)) if nps else None,
        "nps_n": len(nps),
        "csat": pct(sum(s >= 4 for s in csat), len(csat)),
        "csat_mean": statistics.fmean(csat) if csat else None,
        "ces": statistics.fmean(ces) if ces else None,
        "response_rate": pct(sum(hasattr(i, "response") for i in sent), len(sent)),
        "complaint_rate": pct(sum(t.pk in complaint_ids for t in period_tickets), len(period_tickets)),
        "tickets": len(period_tickets),
        "frt": durations([t.first_response_s for t in period_tickets if t.first_response_s is not None]),
        "res": durations([t.resolution_s for t in period_tickets if t.resolution_s is not None]),
        "fcr": pct(sum(t.contact_count <= 1 and t.reopen_count == 0 for t in resolved), len(resolved)),
        "repeat": pct(sum(t.contact_count > 1 or t.reopen_count > 0 for t in resolved), len(resolved)),
        "sla_response": pct(
            sum(t.first_response_s <= t.sla_response_target_s for t in resp_sla), len(resp_sla)
        ),
        "sla_resolution": pct(
            sum(t.resolution_s <= t.sla_resolution_target_s for t in res_sla), len(res_sla)
        ),
    }


def close(a, b):
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-6


class SqlMatchesReferenceTests(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(tickets, max_size=8))
    def test_every_summary_figure_matches_the_python_reference(self, specs):
        rows = build(specs)
        got = summary(ReportFilters(start=START, end=END))
        want = reference(rows)
        assert close(got["nps"]["value"], want["nps"]) and got["nps"]["n"] == want["nps_n"]
        assert close(got["csat"]["value"], want["csat"])
        assert close(got["csat"]["mean"], want["csat_mean"])
        assert close(got["ces"]["mean"], want["ces"])
        assert close(got["response_rate"]["value"], want["response_rate"])
        assert close(got["complaint_rate"]["value"], want["complaint_rate"])
        assert got["complaint_rate"]["tickets"] == want["tickets"]
        for key, name in (("frt", "first_response_time"), ("res", "resolution_time")):
            for field, value in want[key].items():
                assert close(got[name][field], value), (name, field, got[name][field], value)
        assert close(got["fcr"]["value"], want["fcr"])
        assert close(got["repeat_contact_rate"]["value"], want["repeat"])
        assert close(got["sla"]["response"]["value"], want["sla_response"])
        assert close(got["sla"]["resolution"]["value"], want["sla_resolution"])


class GroupedSqlMatchesUngroupedTests(TestCase):
    """Breakdowns and trends (GROUP BY) give, per group, what the filtered summary gives."""

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(tickets, min_size=1, max_size=6), st.sampled_from(["nps", "csat", "resolution_time", "fcr"])
    )
    def test_each_breakdown_row_equals_the_summary_filtered_to_it(self, specs, metric):
        from surveys.reports.catalogue import METRICS

        build(specs)
        filters = ReportFilters(start=START, end=END)
        spec = METRICS[metric]
        for row in breakdown(filters, metric, "team"):
            if row["key"] is None:
                continue
            value, n, _interval = spec.read(summary(ReportFilters(start=START, end=END, team=row["key"])))
            assert row["n"] == n and close(row["value"], value)
        points = trend(filters, metric, "day")
        assert sum(p["n"] for p in points) == spec.read(summary(filters))[1]
        for point in points:
            one_day = ReportFilters(start=point["bucket"], end=point["bucket"] + timedelta(days=1))
            value, n, _interval = spec.read(summary(one_day))
            assert point["n"] == n and close(point["value"], value)
