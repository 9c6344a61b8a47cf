"""Medians walked from the time bucket that holds them (reports/percentiles.py and
reports/nonresponse.py).

The agent table's median resolution time, and each side's in the non-response check, read the
closed values in index order, entered just above the lower limit of the time bucket (≤ 1 h,
1–4 h, …) that holds the middle rank, and merge the live values above that limit. Values on a
bucket's limit, live values below and above it, and medians in the first and the last bucket
must all give the exact median of the source rows.
"""

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from surveys.reports import nonresponse, percentiles
from surveys.reports.figures import breakdown
from surveys.reports.filters import ReportFilters
from surveys.reports.nonresponse import non_response_counts
from surveys.reports.rollups_read import coverage_scope
from surveys.reports.rollups_write import rollups_refresh
from tests.factories import AgentFactory, InvitationFactory
from tests.reports.helpers import at, response, ticket

START, MID, END = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)
HOUR = 3600
# (closed before MID, live from MID) resolution times per agent.
GROUPS = {
    # The middle ranks in 4–24 h; closed and live values on the 1 h and 4 h limits.
    "on the limits": ([600, HOUR, HOUR, 4 * HOUR, 5 * HOUR, 30 * HOUR], [HOUR, 4 * HOUR, 6 * HOUR]),
    # Live values below the middle rank's bucket push the closed ones up.
    "live below": ([5 * HOUR, 6 * HOUR, 7 * HOUR, 8 * HOUR], [60, 120, 180]),
    # A live value above the floor and below the middle: the closed values are read from the
    # floor, not from the middle rank.
    "live above": ([5 * HOUR, 6 * HOUR, 7 * HOUR, 8 * HOUR, 9 * HOUR], [int(5.5 * HOUR)]),
    # The middle in the first bucket: the walk starts at the first value.
    "first bucket": ([60, 120, 180, 240, 9 * HOUR], []),
    # The middle above 3 days, the two middle ranks in different buckets.
    "last bucket": ([2 * HOUR, 80 * 3600, 90 * 3600, 100 * 3600], [70 * HOUR]),
    # Only live values.
    "live only": ([], [300, 5 * HOUR]),
}


@pytest.fixture(autouse=True)
def _clock_after_the_data():
    with time_machine.travel(datetime(2026, 4, 16, 12, tzinfo=UTC), tick=True):
        yield


@override_settings(REPORT_ROLLUPS=True, REPORT_ROLLUP_MAX_AGE_SECONDS=366 * 86400)
def test_each_agents_median_is_exact_from_its_bucket(db, monkeypatch):
    agents = {}
    for name, (closed, live) in GROUPS.items():
        agents[name] = AgentFactory(name=name)
        for i, seconds in enumerate(closed):
            ticket(at(START + timedelta(days=i % 6), 10), res_s=seconds, agent=agents[name])
        for i, seconds in enumerate(live):
            ticket(at(MID + timedelta(days=i % 6), 10), res_s=seconds, agent=agents[name])
    rollups_refresh(full=True, now=at(MID, 8))  # days from MID on are read live
    filters = ReportFilters(start=START, end=END)
    monkeypatch.setattr(percentiles, "_values", None)  # the walk must answer, not percentile_cont
    with coverage_scope(), CaptureQueriesContext(connection) as ctx:
        rows = {row["label"]: row for row in breakdown(filters, "resolution_time", "agent")}
    for name, (closed, live) in GROUPS.items():
        assert rows[name]["value"] == pytest.approx(statistics.median(closed + live)), name
        assert rows[name]["n"] == len(closed + live)
    # The walk ran, entered at a bucket's limit for the groups whose middle is past the first.
    walked = [q["sql"] for q in ctx.captured_queries if "surveys_ticketfact" in q["sql"]]
    assert walked and all('"resolution_s" >' in sql or "resolution_s >" in sql for sql in walked)


@override_settings(REPORT_ROLLUPS=True, REPORT_ROLLUP_MAX_AGE_SECONDS=366 * 86400)
@pytest.mark.parametrize("answered", ["on the limits", "live below", "last bucket"])
@pytest.mark.parametrize("unanswered", ["first bucket", "on the limits", "live only"])
def test_each_sides_median_is_exact_from_its_bucket(db, monkeypatch, answered, unanswered):
    """The non-response check: invitations sent before MID are closed days, later ones live.
    The facts must answer: no falling back to the source rows."""
    sides = {"answered": GROUPS[answered], "not_answered": GROUPS[unanswered]}
    for side, (closed, live) in sides.items():
        for day, values in ((START, closed), (MID, live)):
            for i, seconds in enumerate(values):
                sent = at(day + timedelta(days=i % 6), 9)
                t = ticket(at(day + timedelta(days=i % 6), 10), res_s=seconds)
                if side == "answered":
                    response(t, sent + timedelta(hours=1))
                else:
                    InvitationFactory(ticket=t, sent_at=sent)
    rollups_refresh(full=True, now=at(MID, 8))
    monkeypatch.setattr(nonresponse, "_source_counts", None)
    with coverage_scope():
        found = non_response_counts(ReportFilters(start=START, end=END))
    for side, (closed, live) in sides.items():
        assert found[side]["res_p50"] == pytest.approx(statistics.median(closed + live)), side


def test_the_bucket_floor_skips_whole_buckets_by_count():
    counts = {"res_h1": 3, "res_h4": 2, "res_d1": 4, "res_d3": 0, "res_more": 1}
    assert percentiles.bucket_floor(counts, 0) == (None, 0)
    assert percentiles.bucket_floor(counts, 2) == (None, 0)
    assert percentiles.bucket_floor(counts, 3) == (HOUR, 3)
    assert percentiles.bucket_floor(counts, 5) == (4 * HOUR, 5)
    assert percentiles.bucket_floor(counts, 9) == (72 * HOUR, 9)  # past an empty bucket
    assert percentiles.bucket_floor({"res_n": 10}, 5) == (None, 0)  # no histogram: from the start
    # Values besides the counts (the live ones) move the ranks: 3 + 1 at or below 1 h.
    assert percentiles.bucket_floor(counts, 3, extra=(HOUR, 5 * HOUR)) == (None, 0)
    assert percentiles.bucket_floor(counts, 4, extra=(HOUR, 5 * HOUR)) == (HOUR, 4)
    assert percentiles.bucket_floor(counts, 6, extra=(HOUR, 5 * HOUR)) == (4 * HOUR, 6)
