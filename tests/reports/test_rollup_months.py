"""Month rows: a long period reads one rollup row per whole month, and gets exactly the
figures the source rows give.

The data spans January to April 2026. A report from 25 January to 10 April reads February
and March from month rows (no period bound splits them) and the edge days from day rows;
a comparison whose bound falls mid-March reads March from its days. Every figure must still
equal the source rows' (tests/reports/test_rollups.py's ``figures``), after a full rebuild,
half live, and after an incremental refresh that moves records between months.
"""

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from surveys import models as m
from surveys.reports.figures import summaries
from surveys.reports.grains import KINDS, MONTH, rollup_aggregates
from surveys.reports.rollups_read import column, split_months
from surveys.reports.rollups_write import rollups_refresh
from tests.reports.helpers import add_cases, at
from tests.reports.test_rollups import (
    START,
    TRUST,
    _seeded,
    build,
    figures,
    make_filters,
    make_world,
    raw_figures,
    same,
)

FIRST, LAST = date(2026, 1, 25), date(2026, 4, 10)


@pytest.fixture(autouse=True)
def _clock_after_the_data():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def world(db):
    return make_world()


def _spread(seed: int, n: int) -> list[dict]:
    """tests/reports/test_rollups.py's tickets, spread from January to April (days relative
    to its START, 2 March)."""
    rng = random.Random(seed)
    specs = _seeded(seed, n)
    for spec in specs:
        spec["day"] = rng.randint(-41, 45)
        for answer in spec["responses"]:
            answer["day"] = spec["day"] + rng.randint(0, 3)
        if spec["extra"]:
            spec["extra"] = (spec["day"] + 1, spec["extra"][1])
    return specs


def raw_figures_of_summaries(periods):
    with override_settings(REPORT_ROLLUPS=False):
        return summaries(periods)


def _month_rows_match_their_days() -> None:
    """Every month row is the sum of its grain's day rows for that month, and back."""
    for kind in KINDS.values():
        aggregates = rollup_aggregates(kind)
        for grain in kind.monthly:
            keys = [column(d) for d in (*grain, *kind.always)]
            days = (
                kind.model.objects.filter(grain=kind.mask(grain))
                .annotate(month=TruncMonth("day"))
                .values("month", *keys)
                .annotate(**{f"s_{k}": v for k, v in aggregates.items()})
            )
            months = kind.model.objects.filter(grain=kind.mask(grain) | MONTH).values(
                "day", *keys, *aggregates
            )
            want = {(r["month"], *(r[k] for k in keys)): [r[f"s_{a}"] for a in aggregates] for r in days}
            got = {(r["day"], *(r[k] for k in keys)): [r[a] for a in aggregates] for r in months}
            assert got == want, (kind.name, grain)
    times = m.TicketTimeDay.objects.filter(grain=0).annotate(month=TruncMonth("day"))
    want = {
        (r["month"], r["measure"], r["bucket"]): r["s"]
        for r in times.values("month", "measure", "bucket").annotate(s=Sum("n"))
    }
    got = {
        (r["day"], r["measure"], r["bucket"]): r["n"]
        for r in m.TicketTimeDay.objects.filter(grain=MONTH).values("day", "measure", "bucket", "n")
    }
    assert got == want


def test_a_period_splits_into_whole_months_and_edge_days():
    d = date
    assert split_months(FIRST, LAST) == (
        [(FIRST, d(2026, 2, 1)), (d(2026, 4, 1), LAST)],
        [(d(2026, 2, 1), d(2026, 4, 1))],
    )
    # A bound inside March: March is read from its days; a bound on a month's first day splits nothing.
    assert split_months(FIRST, LAST, (d(2026, 3, 15),)) == (
        [(FIRST, d(2026, 2, 1)), (d(2026, 3, 1), LAST)],
        [(d(2026, 2, 1), d(2026, 3, 1))],
    )
    assert split_months(FIRST, LAST, (d(2026, 3, 1),))[1] == [(d(2026, 2, 1), d(2026, 4, 1))]
    assert split_months(d(2025, 12, 1), d(2026, 2, 1)) == ([], [(d(2025, 12, 1), d(2026, 2, 1))])
    assert split_months(d(2026, 2, 3), d(2026, 2, 20)) == ([(d(2026, 2, 3), d(2026, 2, 20))], [])
    assert split_months(FIRST, FIRST) == ([], [])


@TRUST
@pytest.mark.parametrize("spec", [{}, {"team": 0}, {"category": "billing"}], ids=["none", "team", "category"])
def test_month_rows_give_the_source_rows_figures(world, spec):
    build(world, _spread(21, 60))
    add_cases(21)
    filters = make_filters(world, spec, start=FIRST, end=LAST)
    # Two periods with a bound in mid-March: March must come from its days there.
    split = [filters.with_period(FIRST, date(2026, 3, 15)), filters.with_period(date(2026, 3, 15), LAST)]
    want, want_split = raw_figures(filters, full=False), raw_figures_of_summaries(split)
    rollups_refresh()
    _month_rows_match_their_days()
    with CaptureQueriesContext(connection) as ctx:
        same(figures(filters, full=False), want)
    grains = re.findall(r'"grain" = (\d+)', " ".join(q["sql"] for q in ctx.captured_queries))
    assert any(int(g) & MONTH for g in grains)  # month rows were read
    same(summaries(split), want_split)
    # Half from the rollups (February from its month row), half live.
    rollups_refresh(full=True, now=at(date(2026, 3, 15), 8))
    same(figures(filters, full=False), want)
    same(summaries(split), want_split)


@TRUST
def test_an_incremental_refresh_keeps_the_month_rows(world, monkeypatch):
    monkeypatch.setattr("surveys.reports.rollups_write.DAY_BATCH", 3)
    build(world, _spread(22, 50))
    rollups_refresh()
    with time_machine.travel(datetime(2026, 5, 20, 13, tzinfo=UTC), tick=True):
        in_february = m.Ticket.objects.filter(closed_at__month=2).order_by("pk")
        moved = in_february[0]
        moved.closed_at = at(START + timedelta(days=20))  # February → March
        moved.agent, moved.team = world["agents"][1], world["teams"][1]
        moved.save()
        gone = in_february[1]
        gone.closed_at = gone.resolved_at = None  # reopened: leaves February
        gone.status = m.TicketStatus.OPEN
        gone.save()
        answered = m.Response.objects.filter(started_at__month=2, is_complaint=False).first()
        answered.is_complaint = True  # its ticket becomes a complaint too
        answered.save()
        build(world, [dict(s, day=-20) for s in _spread(23, 3)])  # new, in February
        result = rollups_refresh()
        assert result["full"] is False
        _month_rows_match_their_days()
        filters = make_filters(world, {}, start=FIRST, end=LAST)
        same(figures(filters, full=False), raw_figures(filters, full=False))
        assert m.TicketDay.objects.filter(grain=MONTH, day=date(2026, 2, 1)).exists()


@TRUST
def test_a_refresh_that_rewrites_many_days_refreshes_the_statistics(world, monkeypatch):
    build(world, _spread(24, 12))
    rollups_refresh()
    with time_machine.travel(datetime(2026, 5, 20, 13, tzinfo=UTC), tick=True):
        rollups_refresh()  # the watermark moves past the overlap with the data's writes
        for t in m.Ticket.objects.exclude(closed_at=None)[:2]:
            t.save()
        monkeypatch.setattr("surveys.reports.rollups_write.VACUUM_AFTER_DAYS", 5)
        with CaptureQueriesContext(connection) as few:
            assert 0 < rollups_refresh()["days"] <= 5
        for t in m.Ticket.objects.exclude(closed_at=None):
            t.save()
        with CaptureQueriesContext(connection) as many:
            assert rollups_refresh()["days"] > 5
    said = lambda ctx: [q["sql"] for q in ctx.captured_queries if "ANALYZE" in q["sql"]]  # noqa: E731
    assert not said(few) and said(many)
