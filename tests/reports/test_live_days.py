"""A page of many figures reads each record kind's live days once, at full grain, and sums
them per figure in Python (surveys/reports/live.py); above ROWS_MAX live records each figure
reads its own live part. Both ways give the source rows' figures."""

from datetime import UTC, datetime

import pytest
import time_machine

from surveys.reports.rollups_read import coverage_scope, scope_memo
from surveys.reports.rollups_write import rollups_refresh
from tests.reports.helpers import add_cases, at
from tests.reports.test_rollups import (
    FILTERS,
    MID,
    TRUST,
    _seeded,
    build,
    figures,
    make_filters,
    make_world,
    raw_figures,
    same,
)

KINDS = ("survey", "ticket", "invitation", "funnel")


@pytest.fixture(autouse=True)
def _clock_a_month_after_the_period():
    """As in test_rollups.py: the data is dated March 2026, the clock stands a month later."""
    with time_machine.travel(datetime(2026, 4, 16, 12, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def world(db):
    return make_world()


@TRUST
@pytest.mark.parametrize("rows_max", [100, 0], ids=["read once", "too many: per figure"])
def test_a_report_reading_the_live_days_once_gives_the_same_figures(world, monkeypatch, rows_max):
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
