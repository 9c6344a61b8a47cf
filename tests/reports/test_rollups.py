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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

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
from surveys.reports.grains import BUCKET_BOUNDS
from surveys.reports.nonresponse import non_response_counts
from surveys.reports.rollups_read import coverage
from surveys.reports.rollups_write import bucket_of, rollups_refresh
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
# also shows the follow-up figures and every improvement action's measured effect.
DASHBOARD_QUERY_BUDGET = 31
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


@TRUST
def test_a_second_refresh_with_nothing_changed_changes_nothing(world):
    build(world, _seeded(3, 20))
    rollups_refresh()
    models = (m.TicketFact, m.TicketDay, m.TicketTimeDay, m.ResponseDay, m.InvitationDay, m.FunnelDay)

    def contents():
        # Every row's values, not counts: a refresh that added to a day instead of replacing
        # it would keep the counts and double the figures.
        fields = {model: [f.attname for f in model._meta.concrete_fields if f.attname != "id"] for model in models}
        return {model: sorted(map(repr, model.objects.values_list(*fields[model]))) for model in models}

    before = contents()
    rollups_refresh()
    assert contents() == before
    rollups_refresh(full=True)
    assert contents() == before


def test_two_workers_never_refresh_at_once(world):
    build(world, _seeded(5, 5))
    rollups_refresh()
    now = timezone.now()
    m.RollupState.objects.filter(pk=1).update(claimed_until=now + timedelta(minutes=5))
    assert rollups_refresh(now=now) is None  # the other worker holds the claim
    assert rollups_refresh(now=now + timedelta(minutes=6)) is not None  # its lease ran out
    assert m.RollupState.objects.get(pk=1).claimed_until is None


def test_reports_read_the_source_rows_until_the_rollups_are_built_or_when_too_old(world):
    assert coverage() is None
    rollups_refresh()
    assert coverage() is not None
    with override_settings(REPORT_ROLLUP_MAX_AGE_SECONDS=60):
        m.RollupState.objects.filter(pk=1).update(watermark=timezone.now() - timedelta(minutes=5))
        assert coverage() is None
    with override_settings(REPORT_ROLLUPS=False):
        assert coverage() is None


def test_buckets_in_python_and_sql_agree(world):
    build(world, _seeded(9, 25))
    rollups_refresh()
    for fact in m.TicketFact.objects.all():
        for value, bucket in ((fact.first_response_s, fact.frt_bucket), (fact.resolution_s, fact.res_bucket)):
            assert bucket == (None if value is None else bucket_of(value))
    for value in (0, 59, 60, 61, *BUCKET_BOUNDS[5:8], BUCKET_BOUNDS[-1] + 5):
        i = bucket_of(value)
        assert BUCKET_BOUNDS[i] <= value
        assert i == len(BUCKET_BOUNDS) - 1 or value < BUCKET_BOUNDS[i + 1]


def test_the_rebuild_command_fills_the_rollups(world, capsys):
    from django.core.management import call_command

    build(world, _seeded(2, 5))
    call_command("reports_rebuild")
    assert m.TicketFact.objects.exists() and m.ResponseDay.objects.exists()
    assert "full rebuild" in capsys.readouterr().out


class RollupsMatchSourceRowsProperty(TestCase):
    @TRUST
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(ticket_specs, min_size=1, max_size=8), st.sampled_from(FILTERS[:5]))
    def test_any_data_any_filter(self, specs, spec):
        world = make_world()
        build(world, specs)
        filters = make_filters(world, spec)
        want = raw_figures(filters, full=False)
        rollups_refresh(full=True, now=at(MID, 8))
        same(figures(filters, full=False), want)


# --- the pages on rollups ---------------------------------------------------------------------
def test_dashboard_on_rollups_says_how_fresh_and_keeps_its_query_count(manager_client, world):
    from django.urls import reverse

    url = f"{reverse('surveys:reports')}?start={START.isoformat()}&end={END.isoformat()}"
    build(world, _seeded(21, 10))
    rollups_refresh()
    manager_client.get(url)  # warm the option cache
    with CaptureQueriesContext(connection) as before:
        page = manager_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "data-freshness" in html and "Figures as of" in html
    build(world, _seeded(22, 15))
    rollups_refresh()
    with CaptureQueriesContext(connection) as after:
        assert manager_client.get(url).status_code == 200
    assert len(after) == len(before)
    if connection.vendor == "postgresql":
        assert len(after) <= DASHBOARD_QUERY_BUDGET
    with override_settings(REPORT_ROLLUPS=False):
        assert "data-freshness" not in manager_client.get(url).content.decode()


def test_dashboard_reads_every_improvement_actions_effect_in_one_more_query(manager_client, world):
    from django.urls import reverse

    url = f"{reverse('surveys:reports')}?start={START.isoformat()}&end={END.isoformat()}"
    build(world, _seeded(21, 10))
    rollups_refresh()
    manager_client.get(url)  # warm the option cache
    with CaptureQueriesContext(connection) as without:
        manager_client.get(url)
    # One action per record kind, two with medians, in different scopes.
    for i, metric in enumerate(
        [m.Metric.NPS, m.Metric.CES, m.Metric.RESPONSE_RATE, m.Metric.FIRST_RESPONSE_TIME, m.Metric.RESOLUTION_TIME]
    ):
        m.ImprovementAction.objects.create(
            title=f"Plan {i}", goal="g", metric=metric, started_on=MID, team=world["teams"][i % 2]
        )
    with CaptureQueriesContext(connection) as measured:
        page = manager_client.get(url)
    assert page.content.decode().count("data-effect-before") == 5
    assert len(measured) - len(without) == (1 if connection.vendor == "postgresql" else 2)
    if connection.vendor == "postgresql":
        assert len(measured) <= DASHBOARD_QUERY_BUDGET


def test_freshness_names_live_days_only_when_the_period_has_some(world):
    from surveys.reports.dashboard import freshness

    rollups_refresh()
    cutoff = coverage().cutoff
    ends_after = ReportFilters(start=cutoff - timedelta(days=30), end=cutoff + timedelta(days=1))
    ends_before = ReportFilters(start=cutoff - timedelta(days=30), end=cutoff - timedelta(days=10))
    assert freshness(ends_after)["live_from"] == cutoff
    assert freshness(ends_before)["live_from"] is None and freshness(ends_before)["as_of"] is not None


def test_a_run_whose_lease_ran_out_leaves_the_next_runs_claim_alone(world, monkeypatch):
    from surveys.reports import rollups_write

    later = timezone.now() + timedelta(hours=1)

    def slow_refresh(**kwargs):
        # Meanwhile our lease ran out and another run claimed.
        m.RollupState.objects.filter(pk=m.RollupState.ID).update(claimed_until=later)
        return {"full": True}

    rollups_refresh()
    monkeypatch.setattr(rollups_write, "_refresh", slow_refresh)
    rollups_refresh()
    assert m.RollupState.objects.get(pk=m.RollupState.ID).claimed_until == later


def test_a_category_first_seen_today_is_offered_at_once(world):
    from django.core.cache import cache

    from surveys.reports.options import filter_options

    build(world, _seeded(4, 5))
    rollups_refresh()
    ticket(timezone.now(), category="brand-new")
    cache.clear()
    assert "brand-new" in filter_options(agent_id=None)["categories"]


def test_the_beat_task_refreshes(world):
    from surveys.tasks.reports import reports_refresh_rollups

    build(world, _seeded(4, 5))
    reports_refresh_rollups()
    assert m.RollupState.objects.get(pk=1).built_at is not None
    assert m.TicketDay.objects.exists()
