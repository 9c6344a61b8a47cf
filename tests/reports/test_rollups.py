"""The rollups give exactly the figures the source rows give, whichever path answers.

Every report read runs three ways on the same data and must agree: from the source rows
(REPORT_ROLLUPS off), from the rollups (refreshed after the data, so every day is closed),
and half and half (refreshed mid-period: earlier days from the rollups, later ones live).
Then the data changes and an incremental refresh must catch up.
"""

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import strategies as st

from surveys import models as m
from surveys.reports.catalogue import METRICS
from surveys.reports.drivers import drivers
from surveys.reports.figures import (
    BUCKETS,
    DIMENSIONS,
    breakdown,
    breakdown_table,
    summaries,
    summary,
    summary_compared,
    trend,
)
from surveys.reports.filters import ReportFilters
from surveys.reports.followups import followup_counts
from surveys.reports.nonresponse import non_response_counts
from surveys.reports.rollups_read import coverage
from surveys.reports.rollups_write import rollups_refresh
from surveys.reports.sections import breaches, funnel, time_distributions
from tests.factories import (
    AgentFactory,
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    ResponseFactory,
    TeamFactory,
)
from tests.reports.helpers import add_cases, at, ticket

START = date(2026, 3, 2)
END = date(2026, 3, 16)
MID = START + timedelta(days=6)
# The dashboard's fixed query budget on PostgreSQL: 30 when issue 5 set it, one more since it
# also shows the follow-up figures and every improvement action's measured effect, four more
# since it counts, then reads, the live days of its responses and of its tickets once
# (surveys/reports/live.py) instead of in every figure's statement.
DASHBOARD_QUERY_BUDGET = 35
# Trust rollups refreshed "in March" although the clock stands a month later.
TRUST = override_settings(REPORT_ROLLUP_MAX_AGE_SECONDS=366 * 86400)


@pytest.fixture(autouse=True)
def _clock_a_month_after_the_period():
    """The data is dated March 2026. The clock stands a month later (and ticks), so which days
    are past, live or not yet rolled up does not depend on the day the suite runs."""
    with time_machine.travel(datetime(2026, 4, 16, 12, tzinfo=UTC), tick=True):
        yield


# --- data -----------------------------------------------------------------------------------
def make_world():
    teams = [TeamFactory(name="Team A"), TeamFactory(name="Team B")]
    agents = [
        AgentFactory(name="Ann", team=teams[0]),
        AgentFactory(name="Bob", team=teams[1]),
        AgentFactory(name="Cy", team=None),
    ]
    customers = [CustomerFactory(segment=s) for s in ("smb", "enterprise", "")]
    campaigns = [CampaignFactory(name="After support"), CampaignFactory(name="Complaints")]
    return {"teams": teams, "agents": agents, "customers": customers, "campaigns": campaigns}


answer_specs = st.fixed_dictionaries(
    {
        "day": st.integers(-2, 15),
        "nps": st.none() | st.integers(0, 10),
        "csat": st.none() | st.integers(1, 5),
        "ces": st.none() | st.integers(1, 7),
        "is_complaint": st.booleans(),
        "complete": st.booleans(),
        "campaign": st.integers(0, 1),
    }
)
ticket_specs = st.fixed_dictionaries(
    {
        "day": st.integers(-2, 15),
        "state": st.sampled_from(["closed", "closed", "resolved", "open"]),
        "frt_s": st.none() | st.integers(0, 300_000),
        "res_s": st.integers(0, 400_000),
        "contact_count": st.integers(0, 3),
        "reopen_count": st.integers(0, 2),
        "is_complaint": st.booleans(),
        "sla_response_target_s": st.none() | st.sampled_from([3600, 14_400]),
        "sla_resolution_target_s": st.none() | st.sampled_from([86_400, 172_800]),
        "agent": st.integers(0, 2),
        "team": st.integers(0, 2),
        "customer": st.integers(0, 2),
        "category": st.sampled_from(["billing", "account", ""]),
        "priority": st.sampled_from(["normal", "high"]),
        "channel": st.sampled_from(["email", "chat"]),
        "responses": st.lists(answer_specs, max_size=2),
        "extra": st.none()
        | st.tuples(st.integers(-2, 15), st.sampled_from(["sent", "suppressed", "scheduled"])),
    }
)


def build(world, specs):
    for spec in specs:
        moment = at(START + timedelta(days=spec["day"]), 10)
        frt = min(spec["frt_s"], spec["res_s"]) if spec["frt_s"] is not None else None
        team = world["teams"][spec["team"]] if spec["team"] < 2 else None
        t = ticket(
            moment,
            frt_s=frt,
            res_s=spec["res_s"],
            agent=world["agents"][spec["agent"]],
            team=team,
            customer=world["customers"][spec["customer"]],
            **{
                k: spec[k]
                for k in (
                    "contact_count",
                    "reopen_count",
                    "is_complaint",
                    "sla_response_target_s",
                    "sla_resolution_target_s",
                    "category",
                    "priority",
                    "channel",
                )
            },
        )
        if spec["state"] != "closed":
            t.status = m.TicketStatus.RESOLVED if spec["state"] == "resolved" else m.TicketStatus.OPEN
            t.closed_at = None
            if spec["state"] == "open":
                t.resolved_at = None
            t.save()
        for cycle, a in enumerate(spec["responses"], start=1):
            started = at(START + timedelta(days=a["day"]), 15)
            campaign = world["campaigns"][a["campaign"]]
            invitation = InvitationFactory(
                ticket=t,
                campaign=campaign,
                cycle=cycle,
                status=m.InvitationStatus.ANSWERED,
                sent_at=started - timedelta(hours=1),
            )
            ResponseFactory(
                invitation=invitation,
                started_at=started,
                nps_score=a["nps"],
                csat_score=a["csat"],
                ces_score=a["ces"],
                is_complaint=a["is_complaint"],
                is_complete=a["complete"],
                submitted_at=started if a["complete"] else None,
            )
        if spec["extra"]:
            day, status = spec["extra"]
            sent = at(START + timedelta(days=day), 9) if status == "sent" else None
            m.Invitation.objects.create(
                campaign=world["campaigns"][1],
                ticket=t,
                customer=t.customer,
                questionnaire=world["campaigns"][1].questionnaire,
                cycle=3,
                status=status,
                suppression_reason="opted_out" if status == "suppressed" else "",
                send_after=at(START, 0),
                sent_at=sent,
            )


# --- what every path must agree on --------------------------------------------------------------
def _close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def same(a, b, path="") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, a, b)
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    else:
        assert _close(a, b), (path, a, b)


def _keyed(rows, key="key"):
    return {repr(r[key]): {k: v for k, v in r.items() if k != "spec"} for r in rows}


def figures(filters: ReportFilters, full: bool = True) -> dict:
    """Every report read for ``filters``, in comparable form."""
    out = {
        "summary": summary(filters),
        "pair": summaries([filters.previous(), filters]),
        # The tests of a change (both periods with data): their standard errors read the
        # rollups' sums of squares.
        "compared": [
            {k: v for k, v in row.items() if k not in ("spec", "target")}
            for row in summary_compared(filters.with_period(MID, filters.end), targets={})[1]
        ],
        "drivers": {f["key"]: (f["spread"], _keyed(f["rows"], "label")) for f in drivers(filters)},
        "distributions": {
            by: _keyed(time_distributions(filters, by), "label") for by in ("team", "category")
        },
        "funnel": funnel(filters, 0),
        "breaches": [(t.pk, t.overrun_s) for t in breaches(filters)],
        # Counts, sums, squares and the exact median of each side: InvitationFact on rollups.
        "non_response": non_response_counts(filters),
        # FollowUpFact on rollups: the cohort's counts, the overdue cases and the exact median.
        "followups": followup_counts(filters, now=timezone.now()),
    }
    for by in DIMENSIONS if full else ("agent", "campaign"):
        out[f"table {by}"] = _keyed(breakdown_table(filters, by))
        for metric in ("nps", "response_rate", "resolution_time", "complaint_rate") if full else ("csat",):
            out[f"breakdown {metric} {by}"] = _keyed(breakdown(filters, metric, by))
    for metric in METRICS if full else ("nps", "first_response_time"):
        for bucket in BUCKETS if full else ("week",):
            out[f"trend {metric} {bucket}"] = trend(filters, metric, bucket)
    return out


FILTERS = [
    {},
    {"team": 0},
    {"agent": 1},
    {"category": "billing"},
    {"team": 0, "category": "billing"},  # no kept ticket grain: TicketFact
    {"campaign": 1},  # tickets by campaign: the source rows
    {"segment": "smb", "channel": "chat"},
    {"priority": "high"},
]


def make_filters(world, spec: dict, start=START, end=END) -> ReportFilters:
    values = dict(spec)
    for name, pool in (("team", "teams"), ("agent", "agents"), ("campaign", "campaigns")):
        if name in values:
            values[name] = world[pool][values[name]].pk
    return ReportFilters(start=start, end=end, **values)


def raw_figures(filters, **kwargs):
    with override_settings(REPORT_ROLLUPS=False):
        return figures(filters, **kwargs)


# --- tests ----------------------------------------------------------------------------------
@pytest.fixture
def world(db):
    return make_world()


def _seeded(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)

    def answer():
        return {
            "day": rng.randint(-2, 15),
            "nps": rng.choice([None, *range(11)]),
            "csat": rng.choice([None, 1, 2, 3, 4, 5]),
            "ces": rng.choice([None, 1, 4, 7]),
            "is_complaint": rng.random() < 0.2,
            "complete": rng.random() < 0.8,
            "campaign": rng.randint(0, 1),
        }

    return [
        {
            "day": rng.randint(-2, 15),
            "state": rng.choice(["closed", "closed", "resolved", "open"]),
            "frt_s": rng.choice([None, rng.randint(0, 40_000)]),
            "res_s": rng.randint(0, 400_000),
            "contact_count": rng.randint(0, 3),
            "reopen_count": rng.choice([0, 0, 1]),
            "is_complaint": rng.random() < 0.1,
            "sla_response_target_s": rng.choice([None, 3600, 14_400]),
            "sla_resolution_target_s": rng.choice([None, 86_400, 172_800]),
            "agent": rng.randint(0, 2),
            "team": rng.randint(0, 2),
            "customer": rng.randint(0, 2),
            "category": rng.choice(["billing", "account", ""]),
            "priority": rng.choice(["normal", "high"]),
            "channel": rng.choice(["email", "chat"]),
            "responses": [answer() for _ in range(rng.choice([0, 1, 1, 2]))],
            "extra": rng.choice(
                [None, None, (rng.randint(-2, 15), rng.choice(["sent", "suppressed", "scheduled"]))]
            ),
        }
        for _ in range(n)
    ]


@TRUST
@pytest.mark.parametrize("spec", FILTERS, ids=[",".join(f) or "none" for f in FILTERS])
def test_rollups_give_the_source_rows_figures(world, spec):
    build(world, _seeded(7, 40))
    add_cases(7)
    filters = make_filters(world, spec)
    want = raw_figures(filters)
    rollups_refresh()
    assert coverage() is not None
    with CaptureQueriesContext(connection) as ctx:
        same(figures(filters), want)
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "surveys_responseday" in read and "surveys_funnelday" in read
    assert "surveys_followupfact" in read  # on SQLite too
    ticket_rollups = "surveys_ticketday" in read or "surveys_ticketfact" in read
    assert ticket_rollups == ("campaign" not in spec)  # tickets by campaign: the source rows
    # Half from the rollups, half live: a refresh "in the middle of the period".
    rollups_refresh(full=True, now=at(MID, 8))
    assert coverage().cutoff == MID
    same(figures(filters), want)


@TRUST
def test_an_incremental_refresh_catches_every_kind_of_change(world, monkeypatch):
    # Small batches, so the batching of ids and days is exercised too.
    monkeypatch.setattr("surveys.reports.rollups_write.CHUNK", 3)
    monkeypatch.setattr("surveys.reports.rollups_write.DAY_BATCH", 2)
    build(world, _seeded(11, 30))
    add_cases(11)
    rollups_refresh()
    tickets = list(m.Ticket.objects.exclude(closed_at=None).order_by("pk"))
    # Reassigned to another agent and team: its responses and invitations move too.
    moved = tickets[0]
    moved.agent, moved.team = world["agents"][1], world["teams"][1]
    moved.save()
    # Closed on another day: the old day must lose it.
    later = tickets[1]
    later.closed_at = at(START + timedelta(days=9))
    later.save()
    # Reopened: it leaves the report until it closes again.
    reopened = tickets[2]
    reopened.closed_at = reopened.resolved_at = None
    reopened.status = m.TicketStatus.OPEN
    reopened.save()
    # A response now raises a complaint; a new ticket with a new response.
    answered = m.Response.objects.filter(is_complaint=False).first()
    answered.is_complaint = True
    answered.save()
    build(world, _seeded(12, 3))
    # Follow-up cases change without their responses changing: contacted, closed with a
    # re-survey that is then answered, and new cases.
    first = m.FollowUp.objects.filter(first_contact_at=None).order_by("pk").first()
    first.first_contact_at = first.created_at + timedelta(hours=3)
    first.save()
    again = m.Invitation.objects.filter(resurvey_of__isnull=False, response__isnull=True).first()
    if again is not None:
        ResponseFactory(invitation=again, nps_score=9, started_at=at(START + timedelta(days=12), 9))
    add_cases(12)
    filters = make_filters(world, {})
    want = raw_figures(filters, full=False)
    result = rollups_refresh()
    assert result["full"] is False and result["days"] > 0
    same(figures(filters, full=False), want)
    for spec in FILTERS[1:4]:
        narrowed = make_filters(world, spec)
        same(figures(narrowed, full=False), raw_figures(narrowed, full=False))


@TRUST
def test_a_case_that_changes_alone_reaches_the_followup_figures(world):
    # Its response does not change: the refresh must follow the case and its re-survey. The
    # second refresh, an hour later, sets the watermark past the overlap with the first rows.
    build(world, _seeded(11, 30))
    add_cases(11)
    rollups_refresh()
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        rollups_refresh()
        first = m.FollowUp.objects.filter(first_contact_at=None).order_by("pk").first()
        first.first_contact_at = first.created_at + timedelta(hours=3)
        first.save()
        again = m.Invitation.objects.filter(resurvey_of__isnull=False, response__isnull=True).first()
        ResponseFactory(invitation=again, nps_score=9, started_at=at(START + timedelta(days=20), 9))
        filters, now = make_filters(world, {}), timezone.now()
        with override_settings(REPORT_ROLLUPS=False):
            want = followup_counts(filters, now=now)
        result = rollups_refresh()
        assert result["full"] is False
        same(followup_counts(filters, now=now), want)
