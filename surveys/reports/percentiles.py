"""Exact medians and p90 of ticket durations for reports, from TicketFact and the live rows.

docs/metrics.md asks for exact percentiles, never interpolated from histogram buckets; this module
finds them without reading every ticket of a two-year period (see ``percentiles_for``).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db.models import Count, F, IntegerField, QuerySet, Sum, Value

from ..models import TicketFact, TicketTimeDay
from ..replica import reports_connection
from . import metrics, rollups_read
from .aggregates import is_postgres, percentiles_in_python
from .filters import ReportFilters
from .grains import LABELS, DurationBucket, local_day, source_moment
from .periods import bucket_end

NO_PERCENTILES = {"frt_p50": None, "frt_p90": None, "res_p50": None, "res_p90": None}


# --- exact percentiles ------------------------------------------------------------------------
FRACTIONS = metrics.PERCENTILES
# Dimensions whose median resolution time TicketFact can walk to through an index.
WALKS = {"agent", "team", "category", "priority", "channel"}


def walks(filters: ReportFilters, by, time, measures) -> bool:
    """Whether the medians of ``by`` are read by walking TicketFact's index (``_medians_by_walk``):
    one dimension and no other filter (another would make the walk visit every row's table
    page), resolution time only, no time key. The counts it starts from then carry the
    resolution histogram (counts.py asks for it), so each walk starts at its median's bucket."""
    walkable = len(by) == 1 and by[0] in WALKS and set(rollups_read.active_filters(filters)) <= {by[0]}
    return time is None and walkable and set(measures) == {"res"}


def percentiles_for(
    filters: ReportFilters, by, time, cov: rollups_read.Coverage, measures, found: dict
) -> dict[tuple, dict]:
    """Exact percentiles of the ticket durations in ``measures`` per key — p50 and p90 for
    headline figures, p50 when grouped — from TicketFact (closed days) and the live ticket
    rows. ``found`` holds the counts of the same keys.

    Without a filter or a dimension: through the per-day bucket counts
    (TicketTimeDay), reading only the rows of the bucket that holds each wanted rank, in
    index order. By one dimension: walking each group's index to its middle rank. Otherwise
    ``percentile_cont`` over the narrow fact rows (on SQLite, the same interpolation in Python).
    """
    grouped = bool(by) or isinstance(time, rollups_read.Bucket)
    fractions = (0.5,) if grouped else FRACTIONS
    postgres = is_postgres()
    if not by and not rollups_read.active_filters(filters):
        bucketed = _percentiles_by_bucket(filters, time, cov, measures, fractions)
        if bucketed is not None:
            return bucketed
    if walks(filters, by, time, measures):
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
        rows = rollups_read.union(parts)
        key = _time_key if time is not None else tuple
        return percentiles_in_python(rows, n_keys, list(columns), fractions, key=key)
    sql, params = rollups_read.union(parts).query.sql_with_params()
    keys = ", ".join(f"u.k{i}" for i in range(n_keys))
    array = ", ".join(repr(float(f)) for f in fractions)
    select = ", ".join(
        f"percentile_cont(ARRAY[{array}]::float8[]) WITHIN GROUP (ORDER BY u.{m})" for m in columns
    )
    group = f"GROUP BY {keys}" if keys else ""
    out = {}
    with reports_connection().cursor() as cursor:
        # Only ORM-compiled SQL, with its parameters, and names and numbers of our own.
        query = f"SELECT {keys + ', ' if keys else ''}{select} FROM ({sql}) u {group}"  # noqa: S608
        cursor.execute(query, params)
        for row in cursor.fetchall():
            key = (_time_key if time is not None else tuple)(row[:n_keys])
            into = out.setdefault(key, {})
            for m, values in zip(columns, row[n_keys:], strict=True):
                for fraction, value in zip(fractions, values or [None] * len(fractions), strict=True):
                    into[f"{m}_p{int(fraction * 100)}"] = value
    return out


def _values(queryset, keys: dict, columns: dict):
    aliases = {f"k{i}": expression for i, expression in enumerate(keys.values())}
    return queryset.order_by().annotate(**aliases, **columns).values_list(*aliases, *columns)


def _time_key(keys: tuple) -> tuple:
    return (rollups_read.as_date(keys[0]), *keys[1:])


# --- ranks read in index order ------------------------------------------------------------------
@dataclass(frozen=True)
class Slice:
    """Ranks ``first`` to ``last`` (0-based) of the values of ``column`` in ``rows`` (TicketFact,
    or None when the period has no closed day) and in ``live`` (values from the live rows)."""

    rows: QuerySet | None
    column: str
    live: tuple
    first: int
    last: int


def read_slices(slices: list[Slice]) -> list[list] | None:
    """Each slice's values at its ranks, in order; one query (a UNION ALL of ORM querysets,
    each ordered by an index and cut at its last rank, so nothing is sorted). None when a
    slice came back short: the rows changed between the count and this read."""
    parts, starts = [], []
    # SQLite cannot cut the parts of a UNION themselves: there each cut slice sits in a
    # subquery (pk IN (… LIMIT …)), which every database allows; the values are sorted below.
    in_compound = reports_connection().features.supports_slicing_ordering_in_compound
    for i, piece in enumerate(slices):
        # A live value may rank below the first wanted rank: then the fact rows from the start.
        start = 0 if piece.live else piece.first
        starts.append(start)
        if piece.rows is not None:
            rows = piece.rows.order_by(piece.column)
            if not in_compound:
                cut = rows.values("pk")[start : piece.last + 1]
                rows, start_at, stop = piece.rows.model.objects.filter(pk__in=cut).order_by(), None, None
            else:
                start_at, stop = start, piece.last + 1
            rows = rows.annotate(slice=Value(i, output_field=IntegerField()))
            parts.append(rows.values_list("slice", piece.column)[start_at:stop])
    found: list[list] = [[] for _s in slices]
    if parts:
        for i, value in parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]:
            found[i].append(value)
    out = []
    for piece, start, values in zip(slices, starts, found, strict=True):
        merged = sorted(values + list(piece.live))
        if start + len(merged) <= piece.last:
            return None
        out.append(merged[piece.first - start : piece.last - start + 1])
    return out


def _medians_by_walk(
    filters: ReportFilters, dim: str, cov: rollups_read.Coverage, found: dict
) -> dict[tuple, dict] | None:
    """Median resolution time per value of a dimension: each group's closed values are read
    in index order (TicketFact (dim, resolution_s, day)) up to its middle rank, known from its
    count, and merged with its live values. One query for every group (``_walk``).

    The walk of a group starts at the time bucket (metrics.TIME_LIMITS) that holds its middle
    rank, from the group's histogram in ``found``: the index is entered just above that
    bucket's lower limit, and the values below it are skipped by count, not read."""
    closed_end = min(filters.end, cov.cutoff)
    live = rollups_read.live_filters(filters, cov)
    column = rollups_read.column(dim)
    live_values = defaultdict(list)
    if live is not None:
        rows = live.tickets().filter(resolution_s__isnull=False).order_by()
        for value, seconds in rows.values_list(column, "resolution_s"):
            live_values[value].append(seconds)
    groups = []
    for key, c in found.items():
        if not c["res_n"]:
            continue
        value = key[0]
        low, high, weight = metrics.percentile_ranks(c["res_n"], 0.5)
        floor, below = bucket_floor(c, low)
        live_above = [v for v in live_values.get(value, ()) if floor is None or v > floor]
        # Above the floor, the closed values up to the middle rank are needed; without a live
        # value among them, the ones before the middle are skipped in the database (OFFSET).
        start = below if live_above else low
        groups.append(_Group(value, low, high, weight, floor, below, start, live_above))
    walked = [[] for _g in groups]
    if filters.start < closed_end and groups:
        rows = rollups_read.closed_rows(TicketFact.objects.all(), filters, closed_end)
        rows = rows.filter(resolution_s__isnull=False)
        cuts = [(g.value, g.floor, g.start - g.below, g.high + 1 - g.start) for g in groups]
        if is_postgres():
            walked = _walk(rows.order_by().values_list(column, "resolution_s"), column, dim in LABELS, cuts)
        elif len(cuts) <= WALK_PARTS_MAX:
            walked = _walk_parts(rows, column, cuts)
        else:
            return None
    out = {}
    for g, closed in zip(groups, walked, strict=True):
        merged = sorted(closed + g.live)
        if g.start + len(merged) <= g.high:
            return None  # the rows changed between the count and this read
        v = merged[g.low - g.start : g.high - g.start + 1]
        out[(g.value,)] = {"res_p50": v[0] + (v[-1] - v[0]) * g.weight}
    return out


class _Group(NamedTuple):
    """One group's walk: its middle ranks and weight, the bucket floor it starts above, how
    many values lie at or below the floor, the rank of the first value it reads (``start``),
    and its live values above the floor."""

    value: object
    low: int
    high: int
    weight: float
    floor: int | None
    below: int
    start: int
    live: list


def bucket_floor(counts: dict, rank: int, extra=()) -> tuple[int | None, int]:
    """Where a walk to 0-based ``rank`` of the resolution times may start: the lower limit
    (seconds, exclusive) of the time bucket (metrics.TIME_LIMITS) that holds that rank, and
    how many values lie at or below it. ``counts`` holds the bucket counts (``res_h1`` …);
    ``extra`` are values counted besides them (the live ones). (None, 0): from the first
    value, also when ``counts`` has no histogram."""
    floor, below, counted = None, 0, 0
    for key, high in metrics.TIME_LIMITS:
        n = counts.get(f"res_{key}")
        if n is None or high is None:
            break
        counted += n
        at_or_below = counted + sum(1 for v in extra if v <= high)
        if at_or_below > rank:
            break
        floor, below = high, at_or_below
    return floor, below


# Groups one UNION ALL may hold on SQLite (whose compound SELECT stops at 500 parts).
WALK_PARTS_MAX = 400


def _walk_parts(rows: QuerySet, column: str, groups: list[tuple]) -> list[list]:
    """``_walk`` without LATERAL (SQLite): one UNION ALL part per group, each group's cut in a
    subquery (pk IN (… ORDER BY resolution_s LIMIT …)) read through the same index."""
    parts = []
    for i, (value, floor, offset, limit) in enumerate(groups):
        lookup = {f"{column}__isnull": True} if value is None else {column: value}
        if floor is not None:
            lookup["resolution_s__gt"] = floor
        cut = rows.filter(**lookup).order_by("resolution_s").values("pk")[offset : offset + limit]
        part = rows.model.objects.filter(pk__in=cut).order_by()
        parts.append(part.annotate(g=Value(i, output_field=IntegerField())).values_list("g", "resolution_s"))
    found: list[list] = [[] for _g in groups]
    for i, value in rollups_read.union(parts):
        found[i].append(value)
    return found


def _walk(rows: QuerySet, column: str, numeric: bool, groups: list[tuple]) -> list[list]:
    """For each (value, floor, offset, limit) of ``groups``, the ``resolution_s`` values of
    ``rows`` (an ORM queryset of (column, resolution_s)) whose ``column`` is that value and that
    lie above ``floor`` (None: all), in order, from the offset on, at most limit of them. One
    statement: a LATERAL subquery per group, which PostgreSQL answers from the (column,
    resolution_s, day) index, entered at the floor, up to the group's last rank (a NULL group,
    which ``=`` never matches, is its own branch)."""
    sql, params = rows.query.sql_with_params()
    keyed = [(i, g) for i, g in enumerate(groups) if g[0] is not None]
    kind = "bigint" if numeric else "text"
    # Only ORM-compiled SQL, with its parameters, and names of our own. A floor of -1 is none:
    # resolution times are never negative.
    query = (
        f"SELECT g.i, v.r FROM unnest(%s::int[], %s::{kind}[], %s::int[], %s::int[], %s::int[]) "  # noqa: S608
        f'AS g(i, k, f, o, l) CROSS JOIN LATERAL (SELECT f.resolution_s AS r FROM ({sql}) f WHERE f."{column}" = g.k '
        "AND f.resolution_s > g.f ORDER BY f.resolution_s OFFSET g.o LIMIT g.l) v"
    )
    args = [[i for i, _g in keyed], [g[0] for _i, g in keyed], [-1 if g[1] is None else g[1] for _i, g in keyed]]
    args += [[g[2] for _i, g in keyed], [g[3] for _i, g in keyed], *params]
    for i, (value, floor, offset, limit) in enumerate(groups):
        if value is None:
            query += (
                f" UNION ALL (SELECT {int(i)}, f.resolution_s FROM ({sql}) f "  # noqa: S608
                f'WHERE f."{column}" IS NULL AND f.resolution_s > {int(-1 if floor is None else floor)} '
                f"ORDER BY f.resolution_s OFFSET {int(offset)} LIMIT {int(limit)})"
            )
            args += params
    found: list[list] = [[] for _g in groups]
    with reports_connection().cursor() as cursor:
        cursor.execute(query, args)
        for i, value in cursor.fetchall():
            found[i].append(value)
    return found


def _period_bounds(filters: ReportFilters, time, t) -> tuple[date, date]:
    if time is None:
        return filters.start, filters.end
    if isinstance(time, rollups_read.Periods):
        return time.bounds[t], time.bounds[t + 1]
    return max(t, filters.start), min(bucket_end(t, time.kind), filters.end)


def _percentiles_by_bucket(
    filters: ReportFilters, time, cov: rollups_read.Coverage, measures, fractions
) -> dict[tuple, dict] | None:
    """Exact percentiles in two queries whatever the period's size (no filters).

    1. How many values each fine bucket holds, per time key and duration: TicketTimeDay for
       the closed days, and the live rows' values themselves (few: the days since the last
       refresh).
    2. For each wanted rank, its value: the rows of the one bucket that holds it, in the
       order of TicketFact's (bucket, value, day) index, merged with the live values.
    """
    closed_end = min(filters.end, cov.cutoff)
    live = rollups_read.live_filters(filters, cov)
    parts = []
    wanted_measures = [i for i, (m, _c) in enumerate(metrics.DURATIONS) if m in measures]
    no_value = Value(None, output_field=IntegerField())
    if filters.start < closed_end:
        rows = rollups_read.grain_rows(TicketTimeDay, 0, filters, closed_end, time).filter(
            measure__in=wanted_measures
        )
        keys = {
            "t": rollups_read.time_key(time, F("day")) if time is not None else Value(0),
            "m": F("measure"),
            "b": F("bucket"),
            "v": no_value,
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
                "v": F(column),
            }
            parts.append(rollups_read.select(rows, keys, {"n": Count("pk")}))
    histogram: dict = defaultdict(lambda: defaultdict(int))
    live_values: dict = defaultdict(list)
    for t, measure, bucket, value, n in rollups_read.union(parts):
        t = rollups_read.as_date(t) if isinstance(time, rollups_read.Bucket) else t
        histogram[(t, measure)][bucket] += int(n)
        if value is not None:
            live_values[(t, measure, bucket)].extend([value] * int(n))
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
    slices = []
    for (t, measure, bucket), offsets in spans.items():
        prefix, column = metrics.DURATIONS[measure]
        start, end = _period_bounds(filters, time, t)
        rows = None
        if start < closed_end:
            rows = TicketFact.objects.filter(
                **{f"{prefix}_bucket": bucket}, day__gte=start, day__lt=min(end, closed_end)
            )
        first, last = min(o for o, _r in offsets), max(o for o, _r in offsets)
        slices.append(Slice(rows, column, tuple(live_values.get((t, measure, bucket), ())), first, last))
    found_slices = read_slices(slices)
    if found_slices is None:
        return None
    values = {}
    for ((t, measure, _bucket), offsets), piece, found_values in zip(
        spans.items(), slices, found_slices, strict=True
    ):
        for offset, rank in offsets:
            values[(t, measure, rank)] = found_values[offset - piece.first]
    out: dict = defaultdict(dict)
    for (t, measure, fraction), (low, high, weight) in wanted.items():
        a, b = values[(t, measure, low)], values[(t, measure, high)]
        prefix = metrics.DURATIONS[measure][0]
        out[(t,) if time is not None else ()][f"{prefix}_p{int(fraction * 100)}"] = a + (b - a) * weight
    return dict(out)
