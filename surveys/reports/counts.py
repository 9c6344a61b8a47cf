"""Report counts: from the daily rollups where they can answer, else from the source rows.

Every function returns what ``surveys.metrics`` returns over the ReportFilters querysets for
the same filters (tests/reports/test_rollups.py holds them to it). The rollups answer the
days before their cutoff (the day of their last refresh); the days from the cutoff on are
read live from the source rows, in the same SQL statement (UNION ALL), so today is never
stale. What the rollups cannot answer:

- ticket figures filtered or broken down by campaign (a ticket belongs to a campaign only
  through its invitations): the source rows;
- ticket filters or groupings no kept grain covers: TicketFact, one narrow row per ticket;
- medians and p90: exact, from TicketFact values (see ``_percentiles``) — never from
  histogram buckets, which METRICS.md does not allow;
- verbatims: always the source rows (a newest-first list).

Keys are tuples: the time key first when asked for (the index of the period for
``Periods``, the bucket's first day for ``Bucket``), then one value per dimension in ``by``,
then, with ``labels``, the name of each id dimension.
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, DateField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Trunc
from django.db.models.lookups import LessThan
from django.utils import timezone

from .. import metrics
from ..models import Invitation, RollupState, Ticket, TicketFact, TicketTimeDay
from .filters import ReportFilters
from .grains import (
    BUCKET_BOUNDS,
    FILTER_DIMS,
    KINDS,
    LABELS,
    DurationBucket,
    local_day,
    source_dim,
    source_label,
    source_moment,
)
from .refresh import STATE_ID, fact_aggregates, raw_aggregates, rollup_aggregates


# --- is there a usable rollup? -------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Days before ``cutoff`` are read from rollups that include every change up to ``as_of``."""

    cutoff: date
    as_of: datetime


_scope: ContextVar[dict | None] = ContextVar("report_rollup_scope", default=None)


@contextmanager
def coverage_scope():
    """Read the rollup state once for everything inside (one request's report)."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def coverage() -> Coverage | None:
    """The rollups' reach, or None when they are off, not built, or too old to trust."""
    if not settings.REPORT_ROLLUPS:
        return None
    memo = _scope.get()
    if memo is not None and "coverage" in memo:
        return memo["coverage"]
    row = (
        RollupState.objects.filter(pk=STATE_ID, built_at__isnull=False, watermark__isnull=False)
        .values_list("watermark", "cutoff")
        .first()
    )
    found = None
    if row and timezone.now() - row[0] <= timedelta(seconds=settings.REPORT_ROLLUP_MAX_AGE_SECONDS):
        found = Coverage(cutoff=row[1], as_of=row[0])
    if memo is not None:
        memo["coverage"] = found
    return found


# --- time keys ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Periods:
    """Group by consecutive periods: ``bounds`` = (start₀, start₁, …, end); the key is the index."""

    bounds: tuple[date, ...]


@dataclass(frozen=True)
class Bucket:
    """Group by day, week (Monday) or month; the key is the bucket's first day."""

    kind: str


def _time_key(time, day):
    """The time key as an expression over a date expression ``day``."""
    if isinstance(time, Periods):
        inner = time.bounds[1:-1]
        whens = [When(LessThan(day, bound), then=Value(i)) for i, bound in enumerate(inner)]
        return Case(*whens, default=Value(len(inner)), output_field=IntegerField())
    if time.kind == "day":
        return day
    return Trunc(day, time.kind, output_field=DateField())


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


# --- which path -----------------------------------------------------------------------------
def _active(filters: ReportFilters) -> dict[str, object]:
    return {dim: getattr(filters, dim) for dim in FILTER_DIMS if getattr(filters, dim) not in (None, "")}


def _plan(source: str, filters: ReportFilters, by: tuple[str, ...], cov: Coverage | None):
    """("rollup", mask), ("fact", None), or None for the source rows."""
    if cov is None:
        return None
    kind = KINDS[source]
    needed = set(_active(filters)) | set(by)
    if source == "ticket" and "campaign" in needed:
        return None
    grain = kind.choose(needed)
    if grain is not None:
        return "rollup", grain[0]
    if source == "ticket" and needed <= set(kind.dims):
        return "fact", None
    return None


def _column(dim: str) -> str:
    return f"{dim}_id" if dim in LABELS else dim


def _closed_rows(queryset, filters: ReportFilters, end: date):
    """Rollup or fact rows of the period's closed days, with the filters."""
    lookups = {_column(dim): value for dim, value in _active(filters).items()}
    return queryset.filter(day__gte=filters.start, day__lt=end, **lookups)


def _live_filters(filters: ReportFilters, cov: Coverage) -> ReportFilters | None:
    start = max(filters.start, cov.cutoff)
    return filters.with_period(start, filters.end) if start < filters.end else None


def _source_rows(source: str, filters: ReportFilters):
    if source == "survey":
        return filters.responses()
    if source == "ticket":
        return filters.tickets()
    if source == "funnel":
        invitations = Invitation.objects.filter(ticket__in=filters.tickets().values("pk"))
        return invitations.filter(campaign_id=filters.campaign) if filters.campaign else invitations
    return filters.invitations()


def _source_keys(source: str, by, labels: bool, time) -> dict:
    keys = {}
    if time is not None:
        keys["t"] = _time_key(time, local_day(source_moment(source)))
    for dim in by:
        keys[f"d_{dim}"] = source_dim(source, dim)
    if labels:
        keys |= {f"l_{dim}": source_label(source, dim) for dim in by if dim in LABELS}
    return keys


def _rollup_keys(by, labels: bool, time) -> dict:
    keys = {}
    if time is not None:
        keys["t"] = _time_key(time, F("day"))
    for dim in by:
        keys[f"d_{dim}"] = F(_column(dim))
    if labels:
        keys |= {f"l_{dim}": F(LABELS[dim]) for dim in by if dim in LABELS}
    return keys


def _select(queryset, keys: dict, aggregates: dict):
    """``queryset`` grouped by ``keys`` (a constant when none), keys then aggregates in order."""
    keys = keys or {"one": Value(1)}
    key_aliases = {f"k_{name}": expression for name, expression in keys.items()}
    agg_aliases = {f"a_{name}": expression for name, expression in aggregates.items()}
    qs = queryset.order_by().annotate(**key_aliases).values(*key_aliases).annotate(**agg_aliases)
    return qs.values_list(*key_aliases, *agg_aliases)


def _union(parts):
    parts = [p for p in parts if p is not None]
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)


def _number(value):
    return int(value) if isinstance(value, Decimal) else value


def _merge(rows, n_keys: int, names: list[str], grouped: bool, timed: bool) -> dict:
    """Rows of (keys…, counts…) from several parts, summed per key."""
    out: dict = {}
    for row in rows:
        key = tuple(row[:n_keys]) if grouped else ()
        if timed:
            key = (_as_date(key[0]), *key[1:])
        values = dict(zip(names, (_number(v) for v in row[n_keys:]), strict=True))
        into = out.get(key)
        if into is None:
            out[key] = {
                k: (0 if v is None and not k.endswith(("_min", "_max")) else v) for k, v in values.items()
            }
            continue
        for name, value in values.items():
            if value is None:
                continue
            if name.endswith("_min"):
                into[name] = value if into[name] is None else min(into[name], value)
            elif name.endswith("_max"):
                into[name] = value if into[name] is None else max(into[name], value)
            else:
                into[name] += value
    return out


# --- counts ---------------------------------------------------------------------------------
def counts(
    source: str,
    filters: ReportFilters,
    by: tuple[str, ...] = (),
    *,
    labels: bool = False,
    time=None,
    histogram: bool = False,
    percentiles: tuple[str, ...] = (),
) -> dict[tuple, dict]:
    """``{key: counts}`` of ``source`` ("survey", "ticket", "invitation", "funnel") rows.

    One query from the rollups (plus one for ``percentiles``, two on the fast path), or what
    ``surveys.metrics`` runs on the source rows. ``histogram`` adds the ticket time buckets,
    ``percentiles`` the exact medians (and, ungrouped, p90) of the ticket durations named
    ("frt", "res"). Within a report (``coverage_scope``) the same question is asked of the
    database once; callers must not change what they get.
    """
    # One report asks some questions twice (the agent table and the drivers): answered once.
    memo = _scope.get()
    args = (source, filters, by, labels, time, histogram, percentiles)
    if memo is not None and args in memo.setdefault("counts", {}):
        return memo["counts"][args]
    found = _counts(*args)
    if memo is not None:
        memo["counts"][args] = found
    return found


def _counts(source, filters, by, labels, time, histogram, percentiles) -> dict[tuple, dict]:
    cov = coverage()
    plan = _plan(source, filters, by, cov)
    if plan is None:
        return _source_counts(source, filters, by, labels, time, histogram, percentiles)
    kind = KINDS[source]
    path, mask = plan
    names = list(rollup_aggregates(kind))
    if source == "ticket" and not histogram:
        names = [
            n for n in names if not n.startswith(("frt_h", "frt_d", "frt_more", "res_h", "res_d", "res_more"))
        ]
    closed_end = min(filters.end, cov.cutoff)
    parts = []
    if filters.start < closed_end:
        if path == "rollup":
            rows = _closed_rows(kind.model.objects.filter(grain=mask), filters, closed_end)
            aggregates = rollup_aggregates(kind)
        else:
            rows = _closed_rows(TicketFact.objects.all(), filters, closed_end)
            aggregates = fact_aggregates()
        keys = _rollup_keys(by, labels, time) | ({"reason": F("reason")} if source == "funnel" else {})
        parts.append(_select(rows, keys, {n: aggregates[n] for n in names}))
    live = _live_filters(filters, cov)
    if live is not None:
        aggregates = raw_aggregates(source)
        keys = _source_keys(source, by, labels, time)
        if source == "funnel":
            keys["reason"] = F("suppression_reason")
        parts.append(_select(_source_rows(source, live), keys, {n: aggregates[n] for n in names}))
    n_keys = len(_rollup_keys(by, labels, time)) + (source == "funnel")
    grouped = n_keys > 0
    out = _merge(_union(parts), max(1, n_keys), names, grouped, time is not None)
    if not grouped and () not in out:
        out[()] = metrics.empty_counts(source) if source != "funnel" else dict.fromkeys(names, 0)
    if percentiles and source == "ticket":
        n_time = 1 if time is not None else 0
        found = _percentiles(filters, by, time, cov, percentiles, out)
        for key, row in out.items():
            row |= found.get(key[: n_time + len(by)], _NO_PERCENTILES)
    return out


_NO_PERCENTILES = {"frt_p50": None, "frt_p90": None, "res_p50": None, "res_p90": None}


def _source_counts(source, filters, by, labels, time, histogram, percentiles) -> dict[tuple, dict]:
    """The same counts from the source rows (``surveys.metrics``)."""
    queryset = _source_rows(source, filters)
    keys = _source_keys(source, by, labels, time)
    if source == "funnel":
        keys["reason"] = F("suppression_reason")
        aggregates = raw_aggregates("funnel")
        rows = queryset.order_by().values(**keys).annotate(**aggregates)
        return {tuple(r[k] for k in keys): {n: r[n] for n in aggregates} for r in rows}
    if source == "survey":
        found = metrics.survey_counts(queryset, keys or None)
    elif source == "ticket":
        found = metrics.ticket_counts(
            queryset, keys or None, metrics.histogram_aggregates() if histogram else None
        )
    else:
        found = metrics.invitation_counts(queryset, keys or None)
    out = {}
    for key, row in found.items():
        if not keys:
            key = ()
        elif len(keys) == 1:
            key = (key,)
        if time is not None:
            key = (_as_date(key[0]), *key[1:])
        out[key] = row
    return out


# --- exact percentiles ------------------------------------------------------------------------
FRACTIONS = metrics.PERCENTILES
# Dimensions whose median resolution time TicketFact can walk to through an index.
WALKS = {"agent", "team", "category", "priority", "channel"}
TEXT_DIMS = {"category", "priority", "channel", "segment"}


def _percentiles(filters: ReportFilters, by, time, cov: Coverage, measures, found: dict) -> dict[tuple, dict]:
    """Exact percentiles of the ticket durations in ``measures`` per key — p50 and p90 for
    headline figures, p50 when grouped — from TicketFact (closed days) and the live ticket
    rows. ``found`` holds the counts of the same keys.

    On PostgreSQL, without a filter or a dimension: through the per-day bucket counts
    (TicketTimeDay), reading only the rows of the bucket that holds each wanted rank, in
    index order. By agent or team: walking each group's index to its middle rank. Otherwise
    ``percentile_cont`` over the narrow fact rows (on SQLite, the same interpolation in Python).
    """
    grouped = bool(by) or isinstance(time, Bucket)
    fractions = (0.5,) if grouped else FRACTIONS
    postgres = metrics.is_postgres()
    if postgres and not by and not _active(filters):
        bucketed = _percentiles_by_bucket(filters, time, cov, measures, fractions)
        if bucketed is not None:
            return bucketed
    # A walk reads the index alone; another filter would make it visit every row's table page.
    walkable = len(by) == 1 and by[0] in WALKS and set(_active(filters)) <= {by[0]}
    if postgres and time is None and walkable and set(measures) == {"res"}:
        walked = _medians_by_walk(filters, by[0], cov, found)
        if walked is not None:
            return walked
    closed_end = min(filters.end, cov.cutoff)
    parts = []
    columns = {m: F(column) for m, column in metrics.DURATIONS if m in measures}
    if filters.start < closed_end:
        rows = _closed_rows(TicketFact.objects.all(), filters, closed_end)
        parts.append(_values(rows, _rollup_keys(by, False, time), columns))
    live = _live_filters(filters, cov)
    if live is not None:
        parts.append(_values(live.tickets(), _source_keys("ticket", by, False, time), columns))
    n_keys = len(by) + (time is not None)
    if not postgres:
        return _percentiles_python(_union(parts), n_keys, time is not None, list(columns), fractions)
    sql, params = _union(parts).query.sql_with_params()
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
                key = (_as_date(key[0]), *key[1:])
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
            key = (_as_date(key[0]), *key[1:])
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


def _ranks(n: int, fraction: float) -> tuple[int, int, float]:
    """The two ranks (0-based) a continuous percentile interpolates between, and the weight."""
    position = fraction * (n - 1)
    low = int(position)
    return low, min(low + 1, n - 1), position - low


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
    filters: ReportFilters, dim: str, cov: Coverage, found: dict
) -> dict[tuple, dict] | None:
    """Median resolution time per value of a dimension: each group's values are read in
    index order (TicketFact (dim, resolution_s, day)) up to its middle rank, known from its
    count, and merged with its live rows."""
    closed_end = min(filters.end, cov.cutoff)
    live = _live_filters(filters, cov)
    column = _column(dim)
    mark = MARK_TEXT if dim in TEXT_DIMS else MARK_INT
    templates = {}

    def parts_for(value) -> list:
        kind = "null" if value is None else "value"
        if kind not in templates:
            lookup = {f"{column}__isnull": True} if value is None else {column: mark}
            made = []
            if filters.start < closed_end:
                rows = _closed_rows(TicketFact.objects.all(), filters, closed_end)
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
        low, high, weight = _ranks(n, 0.5)
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


def _bucket_end(start: date, kind: str) -> date:
    if kind == "day":
        return start + timedelta(days=1)
    if kind == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _period_bounds(filters: ReportFilters, time, t) -> tuple[date, date]:
    if time is None:
        return filters.start, filters.end
    if isinstance(time, Periods):
        return time.bounds[t], time.bounds[t + 1]
    return max(t, filters.start), min(_bucket_end(t, time.kind), filters.end)


def _percentiles_by_bucket(
    filters: ReportFilters, time, cov: Coverage, measures, fractions
) -> dict[tuple, dict]:
    """Exact percentiles in two queries whatever the period's size (PostgreSQL, no filters).

    1. How many values each fine bucket holds, per time key and duration: TicketTimeDay for
       the closed days plus the live rows' buckets.
    2. For each wanted rank, its value: the rows of the one bucket that holds it, in the
       order of TicketFact's (bucket, value, day) index, plus live rows; all in one query.
    """
    closed_end = min(filters.end, cov.cutoff)
    live = _live_filters(filters, cov)
    parts = []
    wanted_measures = [i for i, (m, _c) in enumerate(metrics.DURATIONS) if m in measures]
    if filters.start < closed_end:
        rows = TicketTimeDay.objects.filter(
            day__gte=filters.start, day__lt=closed_end, measure__in=wanted_measures
        )
        keys = {
            "t": _time_key(time, F("day")) if time is not None else Value(0),
            "m": F("measure"),
            "b": F("bucket"),
        }
        parts.append(_select(rows, keys, {"n": Sum("n")}))
    if live is not None:
        day = local_day(source_moment("ticket"))
        for measure in wanted_measures:
            column = metrics.DURATIONS[measure][1]
            rows = live.tickets().filter(**{f"{column}__isnull": False})
            keys = {
                "t": _time_key(time, day) if time is not None else Value(0),
                "m": Value(measure),
                "b": DurationBucket(F(column)),
            }
            parts.append(_select(rows, keys, {"n": Count("pk")}))
    histogram: dict = defaultdict(lambda: defaultdict(int))
    for t, measure, bucket, n in _union(parts):
        histogram[(_as_date(t) if isinstance(time, Bucket) else t, measure)][bucket] += int(n)
    # Which ranks each percentile needs, and where they are: (bucket, offset in the bucket).
    wanted, places = {}, {}
    for (t, measure), buckets in histogram.items():
        total = sum(buckets.values())
        for fraction in fractions:
            low, high, weight = _ranks(total, fraction)
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


# --- lists ----------------------------------------------------------------------------------
def breach_tickets(filters: ReportFilters, limit: int):
    """The tickets that missed a target, the largest overrun first (Ticket rows, annotated)."""
    missed = Q(first_response_s__gt=F("sla_response_target_s")) | Q(
        resolution_s__gt=F("sla_resolution_target_s")
    )
    overrun = Greatest(
        Coalesce(F("first_response_s") - F("sla_response_target_s"), -1),
        Coalesce(F("resolution_s") - F("sla_resolution_target_s"), -1),
    )
    cov = coverage()
    plan = _plan("ticket", filters, (), cov)
    if plan is None:
        qs = filters.tickets().filter(missed)
    else:
        closed_end = min(filters.end, cov.cutoff)
        parts = []
        if filters.start < closed_end:
            facts = _closed_rows(TicketFact.objects.filter(overrun_s__isnull=False), filters, closed_end)
            worst = facts.order_by("-overrun_s", "ticket_id").values("ticket_id")[:limit]
            # Wrapped so the LIMIT sits in a subquery, which every database allows in a UNION.
            parts.append(TicketFact.objects.filter(ticket_id__in=worst).order_by().values("ticket_id"))
        live = _live_filters(filters, cov)
        if live is not None:
            parts.append(live.tickets().filter(missed).order_by().values("pk"))
        # The current rows decide: a ticket changed since the refresh shows as it is now.
        qs = filters.tickets(Ticket.objects.filter(pk__in=_union(parts))).filter(missed)
    qs = qs.select_related("agent", "team").annotate(overrun_s=overrun)
    return list(qs.order_by("-overrun_s", "pk")[:limit])
