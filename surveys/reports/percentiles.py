"""Exact medians and p90 of ticket durations for reports, from TicketFact and the live rows.

docs/metrics.md asks for exact percentiles, never interpolated from histogram buckets; this module
finds them without reading every ticket of a two-year period (see ``percentiles_for``).
"""

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import Count, F, Sum, Value

from ..models import TicketFact, TicketTimeDay
from . import metrics, rollups_read
from .aggregates import is_postgres
from .filters import ReportFilters
from .grains import BUCKET_BOUNDS, DurationBucket, local_day, source_moment
from .periods import bucket_end

NO_PERCENTILES = {"frt_p50": None, "frt_p90": None, "res_p50": None, "res_p90": None}


# --- exact percentiles ------------------------------------------------------------------------
FRACTIONS = metrics.PERCENTILES
# Dimensions whose median resolution time TicketFact can walk to through an index.
WALKS = {"agent", "team", "category", "priority", "channel"}
TEXT_DIMS = {"category", "priority", "channel", "segment"}


def percentiles_for(filters: ReportFilters, by, time, cov: rollups_read.Coverage, measures, found: dict) -> dict[tuple, dict]:
    """Exact percentiles of the ticket durations in ``measures`` per key — p50 and p90 for
    headline figures, p50 when grouped — from TicketFact (closed days) and the live ticket
    rows. ``found`` holds the counts of the same keys.

    On PostgreSQL, without a filter or a dimension: through the per-day bucket counts
    (TicketTimeDay), reading only the rows of the bucket that holds each wanted rank, in
    index order. By agent or team: walking each group's index to its middle rank. Otherwise
    ``percentile_cont`` over the narrow fact rows (on SQLite, the same interpolation in Python).
    """
    grouped = bool(by) or isinstance(time, rollups_read.Bucket)
    fractions = (0.5,) if grouped else FRACTIONS
    postgres = is_postgres()
    if postgres and not by and not rollups_read.active_filters(filters):
        bucketed = _percentiles_by_bucket(filters, time, cov, measures, fractions)
        if bucketed is not None:
            return bucketed
    # A walk reads the index alone; another filter would make it visit every row's table page.
    walkable = len(by) == 1 and by[0] in WALKS and set(rollups_read.active_filters(filters)) <= {by[0]}
    if postgres and time is None and walkable and set(measures) == {"res"}:
        walked = _medians_by_walk(filters, by[0], cov, found)
        if walked is not None:
            return walked
    closed_end = min(filters.end, cov.cutoff)
    parts = []
    columns = {m: F(column) for m, column in metrics.DURATIONS if m in measures}
    if filters.start < closed_end:
        rows = rollups_read.closed_rows(TicketFact.objects.all(), filters, closed_end)
        parts.append(_values(rows, rollups_read.rollup_keys(by, False, time), columns))
    live = rollups_read.live_filters(filters, cov)
    if live is not None:
        parts.append(_values(live.tickets(), rollups_read.source_keys("ticket", by, False, time), columns))
    n_keys = len(by) + (time is not None)
    if not postgres:
        return _percentiles_python(rollups_read.union(parts), n_keys, time is not None, list(columns), fractions)
    sql, params = rollups_read.union(parts).query.sql_with_params()
    keys = ", ".join(f"u.k{i}" for i in range(n_keys))
    array = ", ".join(repr(float(f)) for f in fractions)
    select = ", ".join(
        f"percentile_cont(ARRAY[{array}]::float8[]) WITHIN GROUP (ORDER BY u.{m})" for m in columns
    )
    group = f"GROUP BY {keys}" if keys else ""
    out = {}
    with connection.cursor() as cursor:
        # Only ORM-compiled SQL, with its parameters, and names and numbers of our own.
        query = f"SELECT {keys + ', ' if keys else ''}{select} FROM ({sql}) u {group}"  # noqa: S608
        cursor.execute(query, params)
        for row in cursor.fetchall():
            key = tuple(row[:n_keys])
            if time is not None:
                key = (rollups_read.as_date(key[0]), *key[1:])
            into = out.setdefault(key, {})
            for m, values in zip(columns, row[n_keys:], strict=True):
                for fraction, value in zip(fractions, values or [None] * len(fractions), strict=True):
                    into[f"{m}_p{int(fraction * 100)}"] = value
    return out


def _values(queryset, keys: dict, columns: dict):
    aliases = {f"k{i}": expression for i, expression in enumerate(keys.values())}
    return queryset.order_by().annotate(**aliases, **columns).values_list(*aliases, *columns)


def _percentiles_python(rows, n_keys: int, timed: bool, measures: list[str], fractions) -> dict[tuple, dict]:
    values: dict = defaultdict(lambda: [[] for _m in measures])
    for row in rows:
        key = tuple(row[:n_keys])
        if timed:
            key = (rollups_read.as_date(key[0]), *key[1:])
        for i, v in enumerate(row[n_keys:]):
            if v is not None:
                values[key][i].append(v)
    out = {}
    for key, lists in values.items():
        into = out[key] = {}
        for m, found_values in zip(measures, lists, strict=True):
            found_values.sort()
            for fraction in fractions:
                into[f"{m}_p{int(fraction * 100)}"] = metrics.percentile(found_values, fraction)
    return out


class _Compiled:
    """A queryset's SQL compiled once, its marked parameters filled in for each use.

    Hundreds of slices differ only in a bucket, a date or a group: compiling each through
    the ORM would cost more than running them.
    """

    def __init__(self, queryset, **marks):
        self.sql, params = queryset.query.sql_with_params()
        self.params = list(params)
        self.slots = {
            name: [i for i, p in enumerate(self.params) if p == mark] for name, mark in marks.items()
        }

    def __call__(self, limit: int | None = None, **values) -> tuple[str, list]:
        params = list(self.params)
        for name, value in values.items():
            for i in self.slots[name]:
                params[i] = value
        # The queryset ends with its ORDER BY: the limit stops the index scan there.
        return (self.sql if limit is None else f"{self.sql} LIMIT {int(limit)}"), params


# Parameter marks no real filter uses (ids and buckets are never negative).
MARK_INT, MARK_TEXT = -32_001, "reports-mark-7f3a"  # in every integer column's range
MARK_START, MARK_END = date(1, 1, 3), date(1, 1, 4)


def _ordered_slices(slices: list[tuple[list, int, int]]) -> list[list[float]] | None:
    """For each (parts as (sql, params), first rank, count): the values of the union of its
    parts at those ranks, in order. One query; None when a slice came back short (the rows
    changed between two statements)."""
    selects, params = [], []
    for i, (parts, first, count) in enumerate(slices):
        union = " UNION ALL ".join(f"({sql})" for sql, _p in parts)
        for _sql, part_params in parts:
            params.extend(part_params)
        # ORM-compiled SQL with its parameters; the numbers are integers of our own.
        selects.append(
            f"(SELECT {i} AS i, array_agg(v ORDER BY v) FROM "  # noqa: S608
            f"(SELECT v FROM ({union}) u (v) ORDER BY v LIMIT {int(count)} OFFSET {int(first)}) s)"
        )
    out: list = [None] * len(slices)
    if selects:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            for i, values in cursor.fetchall():
                out[i] = [float(v) for v in values or []]
    if any(v is None or len(v) < count for v, (_p, _f, count) in zip(out, slices, strict=True)):
        return None
    return out


def _medians_by_walk(
    filters: ReportFilters, dim: str, cov: rollups_read.Coverage, found: dict
) -> dict[tuple, dict] | None:
    """Median resolution time per value of a dimension: each group's values are read in
    index order (TicketFact (dim, resolution_s, day)) up to its middle rank, known from its
    count, and merged with its live rows."""
    closed_end = min(filters.end, cov.cutoff)
    live = rollups_read.live_filters(filters, cov)
    column = rollups_read.column(dim)
    mark = MARK_TEXT if dim in TEXT_DIMS else MARK_INT
    templates = {}

    def parts_for(value) -> list:
        kind = "null" if value is None else "value"
        if kind not in templates:
            lookup = {f"{column}__isnull": True} if value is None else {column: mark}
            made = []
            if filters.start < closed_end:
                rows = rollups_read.closed_rows(TicketFact.objects.all(), filters, closed_end)
                rows = rows.filter(**lookup, resolution_s__isnull=False).order_by("resolution_s")
                made.append(("fact", _Compiled(rows.values_list("resolution_s"), value=mark)))
            if live is not None:
                rows = live.tickets().filter(**lookup, resolution_s__isnull=False).order_by()
                made.append(("live", _Compiled(rows.values_list("resolution_s"), value=mark)))
            templates[kind] = made
        return templates[kind]

    slices, keys = [], []
    for key, c in found.items():
        n = c["res_n"]
        if not n:
            continue
        value = key[0]
        low, high, weight = metrics.percentile_ranks(n, 0.5)
        # The fact rows in index order, no further than the highest rank: nothing is sorted.
        parts = [
            compiled(limit=high + 1 if part == "fact" else None, value=value)
            for part, compiled in parts_for(value)
        ]
        slices.append((parts, low, high - low + 1))
        keys.append((value, weight))
    values = _ordered_slices(slices)
    if values is None:
        return None
    return {
        (value,): {"res_p50": v[0] + (v[-1] - v[0]) * weight}
        for (value, weight), v in zip(keys, values, strict=True)
    }


def _period_bounds(filters: ReportFilters, time, t) -> tuple[date, date]:
    if time is None:
        return filters.start, filters.end
    if isinstance(time, rollups_read.Periods):
        return time.bounds[t], time.bounds[t + 1]
    return max(t, filters.start), min(bucket_end(t, time.kind), filters.end)


def _percentiles_by_bucket(
    filters: ReportFilters, time, cov: rollups_read.Coverage, measures, fractions
) -> dict[tuple, dict]:
    """Exact percentiles in two queries whatever the period's size (PostgreSQL, no filters).

    1. How many values each fine bucket holds, per time key and duration: TicketTimeDay for
       the closed days plus the live rows' buckets.
    2. For each wanted rank, its value: the rows of the one bucket that holds it, in the
       order of TicketFact's (bucket, value, day) index, plus live rows; all in one query.
    """
    closed_end = min(filters.end, cov.cutoff)
    live = rollups_read.live_filters(filters, cov)
    parts = []
    wanted_measures = [i for i, (m, _c) in enumerate(metrics.DURATIONS) if m in measures]
    if filters.start < closed_end:
        rows = TicketTimeDay.objects.filter(
            day__gte=filters.start, day__lt=closed_end, measure__in=wanted_measures
        )
        keys = {
            "t": rollups_read.time_key(time, F("day")) if time is not None else Value(0),
            "m": F("measure"),
            "b": F("bucket"),
        }
        parts.append(rollups_read.select(rows, keys, {"n": Sum("n")}))
    if live is not None:
        day = local_day(source_moment("ticket"))
        for measure in wanted_measures:
            column = metrics.DURATIONS[measure][1]
            rows = live.tickets().filter(**{f"{column}__isnull": False})
            keys = {
                "t": rollups_read.time_key(time, day) if time is not None else Value(0),
                "m": Value(measure),
                "b": DurationBucket(F(column)),
            }
            parts.append(rollups_read.select(rows, keys, {"n": Count("pk")}))
    histogram: dict = defaultdict(lambda: defaultdict(int))
    for t, measure, bucket, n in rollups_read.union(parts):
        histogram[(rollups_read.as_date(t) if isinstance(time, rollups_read.Bucket) else t, measure)][bucket] += int(n)
    # Which ranks each percentile needs, and where they are: (bucket, offset in the bucket).
    wanted, places = {}, {}
    for (t, measure), buckets in histogram.items():
        total = sum(buckets.values())
        for fraction in fractions:
            low, high, weight = metrics.percentile_ranks(total, fraction)
            wanted[(t, measure, fraction)] = (low, high, weight)
            seen = 0
            for bucket, n in sorted(buckets.items()):
                for rank in (low, high):
                    if seen <= rank < seen + n:
                        places[(t, measure, rank)] = (bucket, rank - seen)
                seen += n
    # One ordered slice per (time key, measure, bucket), from its first wanted offset to its last.
    spans: dict = defaultdict(list)
    for (t, measure, rank), (bucket, offset) in places.items():
        spans[(t, measure, bucket)].append((offset, rank))
    slices, templates = [], {}
    for (t, measure, bucket), offsets in spans.items():
        prefix, column = metrics.DURATIONS[measure]
        start, end = _period_bounds(filters, time, t)
        first, last = min(o for o, _r in offsets), max(o for o, _r in offsets)
        parts = []
        if start < closed_end:
            if measure not in templates:
                rows = TicketFact.objects.filter(
                    **{f"{prefix}_bucket": MARK_INT}, day__gte=MARK_START, day__lt=MARK_END
                )
                rows = rows.order_by(column).values_list(column)
                templates[measure] = _Compiled(rows, bucket=MARK_INT, start=MARK_START, end=MARK_END)
            # In index order, no further than the highest offset: nothing is sorted.
            parts.append(templates[measure](last + 1, bucket=bucket, start=start, end=min(end, closed_end)))
        if live is not None and max(start, live.start) < end:
            high = BUCKET_BOUNDS[bucket + 1] if bucket + 1 < len(BUCKET_BOUNDS) else None
            rows = live.with_period(max(start, live.start), end).tickets()
            rows = rows.filter(**{f"{column}__gte": BUCKET_BOUNDS[bucket]})
            if high is not None:
                rows = rows.filter(**{f"{column}__lt": high})
            parts.append(rows.order_by().values_list(column).query.sql_with_params())
        slices.append((parts, first, last - first + 1))
    found_slices = _ordered_slices(slices)
    if found_slices is None:
        return None
    values = {}
    for ((t, measure, _bucket), offsets), found_values in zip(spans.items(), found_slices, strict=True):
        first = min(o for o, _r in offsets)
        for offset, rank in offsets:
            values[(t, measure, rank)] = found_values[offset - first]
    out: dict = defaultdict(dict)
    for (t, measure, fraction), (low, high, weight) in wanted.items():
        a, b = values[(t, measure, low)], values[(t, measure, high)]
        prefix = metrics.DURATIONS[measure][0]
        out[(t,) if time is not None else ()][f"{prefix}_p{int(fraction * 100)}"] = a + (b - a) * weight
    return dict(out)
