"""The rollups' state and their readers: one refresh at a time, the source rows until they are
built, the rebuild command, the dashboard's freshness line and query budget, a lease run out,
the beat task; a page reading the live days once (surveys/reports/live.py) or per figure;
and a property test that any generated data gives the source rows' figures.
The shared world and its figures are tests/reports/test_rollups.py's."""

from datetime import UTC, datetime, timedelta

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
from surveys.reports.filters import ReportFilters
from surveys.reports.grains import BUCKET_BOUNDS, bucket_of
from surveys.reports.rollups_read import coverage, coverage_scope, scope_memo
from surveys.reports.rollups_write import rollups_refresh
from tests.reports.helpers import add_cases, at, ticket
from tests.reports.test_rollups import (
    DASHBOARD_QUERY_BUDGET,
    END,
    FILTERS,
    MID,
    START,
    TRUST,
    _seeded,
    build,
    figures,
    make_filters,
    make_world,
    raw_figures,
    same,
    ticket_specs,
)


@pytest.fixture(autouse=True)
def _clock_a_month_after_the_period():
    """As in test_rollups.py: the data is dated March 2026, the clock a month later (ticking)."""
    with time_machine.travel(datetime(2026, 4, 16, 12, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def world(db):
    return make_world()


# Every record kind a report can read once (surveys/reports/live.py).
KINDS = ("survey", "ticket", "invitation", "funnel")


@TRUST
@pytest.mark.parametrize("rows_max", [100, 0], ids=["read once", "too many: per figure"])
def test_a_report_reading_the_live_days_once_gives_the_same_figures(world, monkeypatch, rows_max):
    # Refreshed mid-period: the later days are live. Read once at full grain and summed per
    # figure in Python, or (over ROWS_MAX live records) a live part in every figure's statement.
    monkeypatch.setattr("surveys.reports.live.ROWS_MAX", rows_max)
    build(world, _seeded(7, 40))
    add_cases(7)
    rollups_refresh(full=True, now=at(MID, 8))
    for spec in FILTERS[:5]:
        filters = make_filters(world, spec)
        want = raw_figures(filters)
        with coverage_scope(read_live_once=KINDS):
            same(figures(filters), want)
            read = {(kind, live): rows for kind, found in scope_memo()["live"].items() for live, rows in found.items()}
        assert {source for source, _live in read} == set(KINDS)
        if rows_max:
            assert all(rows is not None for rows in read.values()), read
            assert sum(len(rows["rows"]) for rows in read.values()) > 0
        else:  # every kind with live rows went back to a live part per figure
            assert all(rows is None or not rows["rows"] for rows in read.values()), read
            assert None in read.values()


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


@TRUST
def test_the_breach_list_walks_the_overrun_index_on_sqlite(world):
    """Worst first: SQLite must not read every fact of the period by day and sort them."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner only: PostgreSQL picks the overrun index itself")
    from surveys.reports.counts import breach_tickets

    build(world, _seeded(5, 30))
    rollups_refresh()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    filters = make_filters(world, {})
    with CaptureQueriesContext(connection) as ctx:
        worst = breach_tickets(filters, 5)
    assert worst and [t.overrun_s for t in worst] == sorted((t.overrun_s for t in worst), reverse=True)
    sql = ctx.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "ticketfact_overrun_idx" in plan and "ticketfact_day_idx" not in plan
