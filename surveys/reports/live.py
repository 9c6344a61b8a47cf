"""The live days of a report, read once per record kind at the finest grain.

The rollups answer the days before their cutoff; the days from the cutoff on are read live
from the source rows (counts.py). A figure asked alone adds its live part to its own statement
(UNION ALL), grouped as it needs. A page asks for a dozen figures of the same few record
kinds, and building and compiling each of those live parts is most of what the live days
cost: a fifth of a 10,000-response dashboard's instructions (docs/benchmarks.md).

So a page that asks many figures of a record kind reads that kind's live days once, grouped
by day and every dimension the kind's rollups keep (their full grain), and each figure sums
the rows it needs in Python, as counts._merge already sums the closed days' rows with the live
ones. The page names those kinds (``read_live_once`` of ``snapshot.report_transaction``): the
dashboard its responses and tickets (a dozen figures each: tiles, breakdowns, trends,
distributions, drivers), the summary report its responses. A kind asked for one figure (the
invitations and the funnel there, every kind in the API and the digest) keeps that figure's
own live part: read once, it would cost more than it saves. The rows are the rollup
refresh's own aggregates over the same source rows, so the sums are the same figures.

A busy live day holds many such rows, and summing them for every figure in Python would cost
more than the statements it saves: above ``ROWS_MAX`` live records of a kind (counted first),
the figures keep their own live parts. tests/reports/test_rollups.py holds both ways to the
source rows' figures.
"""

import bisect

from django.db.models import F

from .filters import ReportFilters
from .grains import (
    KINDS,
    LABELS,
    local_day,
    raw_aggregates,
    rollup_aggregates,
    source_dim,
    source_label,
    source_moment,
)
from .periods import bucket_start
from .rollups_read import Periods, as_date, scope_memo, select, source_rows

# Above this many live records of a kind (so as many rows of day × dimensions at most), each
# figure reads its own live part. Measured (docs/benchmarks.md): summing a row into a
# figure costs about 20 µs, building and compiling a figure's own live part 3-5 ms, and the
# read here about one and a half of those, so a page's ten figures of a kind break even
# near 150 rows; a kind read by fewer figures sooner.
ROWS_MAX = 100


def _read(source: str, live: ReportFilters) -> dict | None:
    """The live rows of ``source`` at full grain, as {"index": {column: position}, "rows": […]},
    or None when it has more than ``ROWS_MAX`` live records."""
    # Counted first (a row per record at most): on a busy day the grouped read, with its
    # every dimension and count, would be built and compiled for nothing.
    if source_rows(source, live)[: ROWS_MAX + 1].count() > ROWS_MAX:
        return None
    kind = KINDS[source]
    keys = {"day": local_day(source_moment(source))}
    keys |= {f"d_{dim}": source_dim(source, dim) for dim in kind.dims}
    keys |= {f"l_{dim}": source_label(source, dim) for dim in kind.dims if dim in LABELS}
    if source == "funnel":
        keys["reason"] = F("suppression_reason")
    aggregates = raw_aggregates(source)
    names = list(rollup_aggregates(kind))
    query = select(source_rows(source, live), keys, {n: aggregates[n] for n in names})
    rows = list(query[: ROWS_MAX + 1])
    if len(rows) > ROWS_MAX:  # rows came in since the count
        return None
    return {"index": {name: i for i, name in enumerate([*keys, *names])}, "rows": rows}


def live_rows(source: str, live: ReportFilters) -> dict | None:
    """The live rows of ``source`` for the live period ``live``, read once per report that
    names the kind (``read_live_once`` of rollups_read.coverage_scope); None for other kinds
    and reports, or above ``ROWS_MAX`` live records."""
    memo = scope_memo()
    if memo is None or source not in memo["live"]:
        return None
    found = memo["live"][source] = memo["live"][source] or {}
    if live not in found:
        found[live] = _read(source, live)
    return found[live]


def _time_key(time, day):
    """Python's twin of rollups_read.time_key for one live day."""
    day = as_date(day)
    if isinstance(time, Periods):
        return bisect.bisect_right(time.bounds[1:-1], day)
    return bucket_start(day, time.kind)


def project(live: dict, by: tuple[str, ...], labels: bool, time, names: list[str], reason: bool) -> list[tuple]:
    """The live rows as the rows of a figure's own live part: its keys (the time key, each
    dimension of ``by``, with ``labels`` their names, the funnel's reason; a constant when
    none), then ``names``' counts. Rows with the same keys are summed by counts._merge."""
    index = live["index"]
    dims = [index[f"d_{dim}"] for dim in by]
    if labels:
        dims += [index[f"l_{dim}"] for dim in by if dim in LABELS]
    if reason:
        dims.append(index["reason"])
    values = [index[n] for n in names]
    day = index["day"]
    out = []
    for row in live["rows"]:
        keys = [row[i] for i in dims]
        if time is not None:
            keys.insert(0, _time_key(time, row[day]))
        elif not keys:
            keys = [1]
        out.append((*keys, *(row[i] for i in values)))
    return out
