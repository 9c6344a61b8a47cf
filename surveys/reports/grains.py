"""The rollups' shape: the dimensions of each record kind, the grains kept, the SQL that
reads each dimension and date from the source rows, and what a rollup row counts (shared by
the refresh that writes rollups and the reads in counts.py).

A grain is the set of dimensions a rollup row is grouped by, stored as a bit mask. A query
that filters on some dimensions and groups by others is answered by the cheapest kept grain
that holds all of them (summing over the rest); when none does, by TicketFact (tickets) or
the source rows. Grains are chosen for the pages: no dimension (headline figures, trends),
one dimension (a breakdown, or one filter), for tickets pairs (one filter and a breakdown),
the drivers' cross-tab, and every dimension ("full": a narrow copy of the source that answers
any combination of filters).
"""

import bisect
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from math import prod
from types import MappingProxyType

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import IsNull, LessThan
from django.utils.translation import gettext_lazy as _

from ..models import FunnelDay, InvitationDay, ResponseDay, TicketDay
from . import metrics
from .aggregates import (
    fcr_q,
    histogram_aggregates,
    invitation_aggregates,
    sla_met,
    squared,
    survey_aggregates,
    ticket_aggregates,
)
from .filters import FIELDS, site_tz
from .metrics import HOUR

# The filters of ReportFilters, in order; each is also a dimension of every rollup.
FILTER_DIMS = FIELDS
# Dimensions whose key is an id, shown by a name.
LABELS = {"campaign": "campaign__name", "team": "team__name", "agent": "agent__name"}
DRIVER_DIMS = ("res_band", "reopened", "fcr", "sla", "category")
# Rough number of values, to pick the smallest grain; only the order matters.
CARDINALITY = {
    "campaign": 5,
    "team": 10,
    "agent": 100,
    "category": 8,
    "priority": 4,
    "channel": 5,
    "segment": 3,
    "res_band": 5,
    "reopened": 2,
    "fcr": 2,
    "sla": 3,
}

# A grain's month flag. A row whose grain carries it sums one calendar month of that grain's
# day rows (its day is the month's first), so a long period reads a row per month where no
# period bound splits the month, and day rows only for the days at its edges. Every grain but
# the full one has month rows (full-grain rows barely shrink by month).
MONTH = 1 << 14

RESOLUTION_BANDS = [("lt4h", 4 * HOUR), ("lt1d", 24 * HOUR), ("lt3d", 72 * HOUR)]
RESOLUTION_BAND_LABELS = {
    "lt4h": _("under 4 hours"),
    "lt1d": _("4 to 24 hours"),
    "lt3d": _("1 to 3 days"),
    "gte3d": _("3 days or more"),
    "none": _("not resolved"),
}


@dataclass(frozen=True)
class Kind:
    """One rollup table: its dimensions and the grains it keeps (as dimension tuples)."""

    name: str
    model: type
    dims: tuple[str, ...]
    grains: tuple[tuple[str, ...], ...]
    # Columns grouped on in every grain (the funnel's suppression reason).
    always: tuple[str, ...] = ()

    def mask(self, dims) -> int:
        return sum(1 << self.dims.index(d) for d in dims)

    @property
    def monthly(self) -> tuple[tuple[str, ...], ...]:
        """The grains that also keep month rows."""
        return tuple(g for g in self.grains if g != self.dims)

    def has_months(self, mask: int) -> bool:
        return any(self.mask(g) == mask for g in self.monthly)

    def choose(self, needed: set[str]) -> tuple[int, tuple[str, ...]] | None:
        """The cheapest kept grain holding every dimension in ``needed``, or None."""
        if not needed <= set(self.dims):
            return None
        fits = [g for g in self.grains if needed <= set(g)]
        if not fits:
            return None
        best = min(fits, key=lambda g: (prod(CARDINALITY[d] for d in g), len(g)))
        return self.mask(best), best


def _singles(dims):
    return tuple((d,) for d in dims)


TICKET_DIMS = ("team", "agent", "category", "priority", "channel", "segment")
SURVEY_DIMS = (*FILTER_DIMS, "res_band", "reopened", "fcr", "sla")
# Pairs, for one filter and one breakdown; not agent with anything but its team: at a
# hundred agents a day's agent pairs are about as many rows as tickets (TicketFact answers).
TICKET_PAIRS = tuple(combinations(("team", "category", "priority", "channel", "segment"), 2)) + (
    ("team", "agent"),
)
TICKET = Kind("ticket", TicketDay, TICKET_DIMS, ((), *_singles(TICKET_DIMS), *TICKET_PAIRS))
SURVEY = Kind("survey", ResponseDay, SURVEY_DIMS, ((), *_singles(FILTER_DIMS), DRIVER_DIMS, SURVEY_DIMS))
INVITATION = Kind("invitation", InvitationDay, FILTER_DIMS, ((), *_singles(FILTER_DIMS), FILTER_DIMS))
FUNNEL = Kind("funnel", FunnelDay, FILTER_DIMS, ((), *_singles(FILTER_DIMS), FILTER_DIMS), always=("reason",))
KINDS = {k.name: k for k in (TICKET, SURVEY, INVITATION, FUNNEL)}


# --- the source rows -----------------------------------------------------------------------
def local_day(expression):
    """The site-local date of a timestamp: the day a record is counted on."""
    return TruncDate(expression, tzinfo=site_tz())


def ticket_moment(prefix: str = ""):
    """What puts a ticket in a period (docs/metrics.md): its closure, else its resolution."""
    return Coalesce(f"{prefix}closed_at", f"{prefix}resolved_at")


# How each record kind reaches its ticket, and the timestamp that dates it.
TICKET_PATH = {"survey": "invitation__ticket__", "ticket": "", "invitation": "ticket__", "funnel": "ticket__"}
# A ticket reaches campaigns through its invitations (a join: raw rows only).
CAMPAIGN_PATH = {
    "survey": "invitation__campaign_id",
    "invitation": "campaign_id",
    "funnel": "campaign_id",
    "ticket": "invitations__campaign_id",
}
CAMPAIGN_LABEL_PATH = {
    "ticket": "invitations__campaign__name",
    "survey": "invitation__campaign__name",
    "invitation": "campaign__name",
    "funnel": "campaign__name",
}


def source_moment(source: str):
    if source == "survey":
        return F("started_at")
    if source == "invitation":
        return F("sent_at")
    return ticket_moment(TICKET_PATH[source])


def _flag(q: Q):
    return ExpressionWrapper(q, output_field=BooleanField())


def resolution_band(field: str):
    whens = [When(**{f"{field}__lt": limit}, then=Value(key)) for key, limit in RESOLUTION_BANDS]
    return Case(When(**{f"{field}__isnull": True}, then=Value("none")), *whens, default=Value("gte3d"))


def source_dim(source: str, dim: str):
    """The expression of a dimension on a source row (Response, Ticket or Invitation)."""
    t = TICKET_PATH[source]
    if dim == "campaign":
        return F(CAMPAIGN_PATH[source])
    if dim in ("team", "agent"):
        return F(f"{t}{dim}_id")
    if dim == "segment":
        return F(f"{t}customer__segment")
    if dim in ("category", "priority", "channel"):
        return F(f"{t}{dim}")
    if dim == "res_band":
        return resolution_band(f"{t}resolution_s")
    if dim == "reopened":
        return _flag(Q(**{f"{t}reopen_count__gt": 0}))
    if dim == "fcr":
        return _flag(fcr_q(t))
    if dim == "sla":
        return sla_met("resolution_s", "sla_resolution_target_s", t)
    raise ValueError(dim)


def source_label(source: str, dim: str):
    if dim == "campaign":
        return F(CAMPAIGN_LABEL_PATH[source])
    return F(f"{TICKET_PATH[source]}{LABELS[dim]}")


# --- fine duration buckets for exact percentiles ----------------------------------------------
def _bucket_bounds() -> list[int]:
    """Lower bounds of the fine buckets: 0, 1 min, then 8 % wider each, up to ten years."""
    bounds, b = [0, 60], 60
    while b < 10 * 366 * 86400:
        b = int(b * 1.08) + 1
        bounds.append(b)
    return bounds


BUCKET_BOUNDS = _bucket_bounds()


def bucket_of(value: int) -> int:
    """Python's twin of DurationBucket."""
    return bisect.bisect_right(BUCKET_BOUNDS, value) - 1


class DurationBucket(Func):
    """The fine bucket of a duration, ``bisect_right(BUCKET_BOUNDS, v) - 1`` in SQL.

    Integer comparisons only, so the database and Python always agree: a binary search
    (``width_bucket``) on PostgreSQL, a CASE elsewhere. NULL stays NULL.
    """

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        field = self.source_expressions[0]
        whens = [When(LessThan(field, high), then=Value(i)) for i, high in enumerate(BUCKET_BOUNDS[1:])]
        case = Case(*whens, default=Value(len(BUCKET_BOUNDS) - 1), output_field=IntegerField())
        wrapped = Case(When(IsNull(field, True), then=Value(None)), default=case, output_field=IntegerField())
        return compiler.compile(wrapped.resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        bounds = ",".join(str(b) for b in BUCKET_BOUNDS)
        # Integers we generate ourselves, never input: they go into the SQL text.
        return f"(width_bucket({sql}, ARRAY[{bounds}]::integer[]) - 1)", params


# --- what a rollup row counts -----------------------------------------------------------------
def fact_aggregates() -> dict:
    """TicketDay's counts over TicketFact rows (the same as metrics' over Ticket rows)."""
    out = {
        "tickets": Count("pk"),
        "complaints": Count("pk", filter=Q(complaint=True)),
        "resolved": Count("pk", filter=Q(resolved=True)),
        "fcr": Count("pk", filter=Q(fcr=True)),
        "repeat": Count("pk", filter=Q(repeat=True)),
        "sla_response_n": Count("sla_response_met"),
        "sla_response_met": Count("pk", filter=Q(sla_response_met=True)),
        "sla_resolution_n": Count("sla_resolution_met"),
        "sla_resolution_met": Count("pk", filter=Q(sla_resolution_met=True)),
    }
    for prefix, column in metrics.DURATIONS:
        out |= {
            f"{prefix}_n": Count(column),
            f"{prefix}_sum": Coalesce(Sum(column), Value(0)),
            f"{prefix}_min": Min(column),
            f"{prefix}_max": Max(column),
            f"{prefix}_sq": Coalesce(Sum(squared(column), output_field=FloatField()), Value(0.0)),
        }
    return out | histogram_aggregates()


# The aggregates below are built once per process and shared, read-only: a query never changes
# an expression it is given (Django resolves a copy), and a report asks for them some twenty
# times per page.
@cache
def raw_aggregates(kind: str) -> MappingProxyType:
    """The counts of a rollup kind, computed on its source rows."""
    if kind == "survey":
        return MappingProxyType(survey_aggregates())
    if kind == "invitation":
        return MappingProxyType(invitation_aggregates())
    if kind == "funnel":
        return MappingProxyType(
            {
                "invited": Count("pk"),
                "sent": Count("pk", filter=Q(sent_at__isnull=False)),
                "answered": Count("response"),
            }
        )
    return MappingProxyType(ticket_aggregates(percentiles=False) | histogram_aggregates())


@cache
def rollup_aggregates(kind: Kind) -> MappingProxyType:
    """The counts of a rollup kind summed over its rows (any grain)."""
    names = [f.name for f in kind.model._meta.concrete_fields]
    skip = {"id", "grain", "day", *kind.dims, *kind.always}
    out = {}
    for name in names:
        if name in skip:
            continue
        if name.endswith("_min"):
            out[name] = Min(name)
        elif name.endswith("_max"):
            out[name] = Max(name)
        else:
            out[name] = Sum(name)
    return MappingProxyType(out)
