"""Which rows a report reads, and the query pieces that read them.

The rollups cover the days before their cutoff (``coverage``); ``plan`` picks the rollup grain,
TicketFact, or the source rows for a question; the rest builds the matching keys and filters
for either side so counts (counts.py) and exact percentiles (percentiles.py) can put the
closed days and the live days in one UNION ALL.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Case, DateField, F, IntegerField, Q, Value, When
from django.db.models.functions import Trunc
from django.db.models.lookups import LessThan
from django.utils import timezone

from ..models import Invitation, RollupState
from .filters import ReportFilters
from .grains import FILTER_DIMS, KINDS, LABELS, MONTH, local_day, source_dim, source_label, source_moment
from .periods import add_months, month_start


# --- is there a usable rollup? -------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Days before ``cutoff`` are read from rollups that include every change up to ``as_of``."""

    cutoff: date
    as_of: datetime


_scope: ContextVar[dict | None] = ContextVar("report_rollup_scope", default=None)


@contextmanager
def coverage_scope(read_live_once: tuple[str, ...] = ()):
    """Read the rollup state once for everything inside (one request's report), and the live
    days of each record kind in ``read_live_once`` (live.py)."""
    token = _scope.set({"live": dict.fromkeys(read_live_once)})
    try:
        yield
    finally:
        _scope.reset(token)


def scope_memo() -> dict | None:
    """The current ``coverage_scope``'s memo, or None outside one."""
    return _scope.get()


def coverage() -> Coverage | None:
    """The rollups' reach, or None when they are off, not built, or too old to trust."""
    if not settings.REPORT_ROLLUPS:
        return None
    memo = _scope.get()
    if memo is not None and "coverage" in memo:
        return memo["coverage"]
    row = (
        RollupState.objects.filter(pk=RollupState.ID, built_at__isnull=False, watermark__isnull=False)
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


def time_key(time, day):
    """The time key as an expression over a date expression ``day``."""
    if isinstance(time, Periods):
        inner = time.bounds[1:-1]
        whens = [When(LessThan(day, bound), then=Value(i)) for i, bound in enumerate(inner)]
        return Case(*whens, default=Value(len(inner)), output_field=IntegerField())
    if time.kind == "day":
        return day
    return Trunc(day, time.kind, output_field=DateField())


def as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


# --- which path -----------------------------------------------------------------------------
def active_filters(filters: ReportFilters) -> dict[str, object]:
    return {dim: getattr(filters, dim) for dim in FILTER_DIMS if getattr(filters, dim) not in (None, "")}


def plan(source: str, filters: ReportFilters, by: tuple[str, ...], cov: Coverage | None):
    """("rollup", mask), ("fact", None), or None for the source rows."""
    if cov is None:
        return None
    kind = KINDS[source]
    needed = set(active_filters(filters)) | set(by)
    if source == "ticket" and "campaign" in needed:
        return None
    grain = kind.choose(needed)
    if grain is not None:
        return "rollup", grain[0]
    if source == "ticket" and needed <= set(kind.dims):
        return "fact", None
    return None


def column(dim: str) -> str:
    return f"{dim}_id" if dim in LABELS else dim


def closed_rows(queryset, filters: ReportFilters, end: date | None):
    """Rollup or fact rows of the period's closed days, with the filters (``end`` None: the
    filters only, the caller bounds the days)."""
    lookups = {column(dim): value for dim, value in active_filters(filters).items()}
    days = {} if end is None else {"day__gte": filters.start, "day__lt": end}
    return queryset.filter(**days, **lookups)


def split_months(start: date, end: date, cuts=()) -> tuple[list[tuple[date, date]], list[tuple[date, date]]]:
    """[start, end) as half-open (day ranges, month ranges): every calendar month that lies
    inside it and that no date in ``cuts`` falls strictly within goes to the month ranges
    (merged where consecutive), every other day to the day ranges."""
    days: list[list[date]] = []
    months: list[list[date]] = []

    def add(ranges, low, high):
        if ranges and ranges[-1][1] == low:
            ranges[-1][1] = high
        else:
            ranges.append([low, high])

    day = start
    while day < end:
        first = month_start(day)
        following = add_months(first, 1)
        whole = first == day and following <= end and not any(first < c < following for c in cuts)
        high = min(following, end)
        add(months if whole else days, day, high)
        day = high
    return [tuple(r) for r in days], [tuple(r) for r in months]


def month_cuts(time):
    """The dates a month row must not straddle for ``time``, or None when month rows cannot
    carry its keys (days or weeks)."""
    if time is None:
        return ()
    if isinstance(time, Periods):
        return time.bounds
    return () if time.kind == "month" else None


def grain_rows(model, mask: int, filters: ReportFilters, end: date, time=None, months: bool = True):
    """The rows of grain ``mask`` for the closed days [start, ``end``), with the filters: the
    month rows (``mask | MONTH``) of every whole month ``time`` does not split, the day rows
    for the other days (``months`` False: day rows only)."""
    cuts = month_cuts(time) if months else None
    day_ranges, month_ranges = (
        ([(filters.start, end)], []) if cuts is None else split_months(filters.start, end, cuts)
    )
    where = Q(pk__in=[])
    for flag, ranges in ((0, day_ranges), (MONTH, month_ranges)):
        for low, high in ranges:
            where |= Q(grain=mask | flag, day__gte=low, day__lt=high)
    lookups = {column(dim): value for dim, value in active_filters(filters).items()}
    return model.objects.filter(where, **lookups)


def live_filters(filters: ReportFilters, cov: Coverage) -> ReportFilters | None:
    start = max(filters.start, cov.cutoff)
    return filters.with_period(start, filters.end) if start < filters.end else None


def source_rows(source: str, filters: ReportFilters):
    if source == "survey":
        return filters.responses()
    if source == "ticket":
        return filters.tickets()
    if source == "funnel":
        invitations = Invitation.objects.filter(ticket__in=filters.tickets().values("pk"))
        return invitations.filter(campaign_id=filters.campaign) if filters.campaign else invitations
    return filters.invitations()


def source_keys(source: str, by, labels: bool, time) -> dict:
    keys = {}
    if time is not None:
        keys["t"] = time_key(time, local_day(source_moment(source)))
    for dim in by:
        keys[f"d_{dim}"] = source_dim(source, dim)
    if labels:
        keys |= {f"l_{dim}": source_label(source, dim) for dim in by if dim in LABELS}
    return keys


def rollup_keys(by, labels: bool, time) -> dict:
    keys = {}
    if time is not None:
        keys["t"] = time_key(time, F("day"))
    for dim in by:
        keys[f"d_{dim}"] = F(column(dim))
    if labels:
        keys |= {f"l_{dim}": F(LABELS[dim]) for dim in by if dim in LABELS}
    return keys


def select(queryset, keys: dict, aggregates: dict):
    """``queryset`` grouped by ``keys`` (a constant when none), keys then aggregates in order."""
    keys = keys or {"one": Value(1)}
    key_aliases = {f"k_{name}": expression for name, expression in keys.items()}
    agg_aliases = {f"a_{name}": expression for name, expression in aggregates.items()}
    qs = queryset.order_by().annotate(**key_aliases).values(*key_aliases).annotate(**agg_aliases)
    return qs.values_list(*key_aliases, *agg_aliases)


def union(parts):
    parts = [p for p in parts if p is not None]
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
