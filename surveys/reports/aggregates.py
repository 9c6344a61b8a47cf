"""The SQL aggregates behind docs/metrics.md: the counts the pure functions of
``reports/metrics.py`` turn into figures, over live querysets, in one query per record kind
(responses, tickets, invitations), optionally grouped. Percentiles use PostgreSQL's
``percentile_cont`` and, on SQLite, an exact computation with the same interpolation.
"""

from collections import defaultdict
from functools import cache
from types import MappingProxyType

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest

from ..models import Response
from .metrics import DURATIONS, PERCENTILES, TIME_LIMITS, percentile


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(ARRAY[q, …]) WITHIN GROUP (ORDER BY expr)``.

    All fractions in one call: the values are sorted once, not once per percentile.
    """

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions=PERCENTILES, **extra):
        # Floats we format ourselves, never user input: they go into the SQL text.
        text = ", ".join(repr(float(f)) for f in fractions)
        super().__init__(expression, fractions=text, output_field=ArrayField(FloatField()), **extra)


def squared(column: str):
    """``column`` squared, for the sums of squares behind the Welch tests of means."""
    # As floats: an int4 duration squared overflows on PostgreSQL after 13 hours.
    value = Cast(F(column), FloatField())
    return value * value


def survey_aggregates() -> dict:
    return {
        "promoters": Count("pk", filter=Q(nps_score__gte=9)),
        "passives": Count("pk", filter=Q(nps_score__in=(7, 8))),
        "detractors": Count("pk", filter=Q(nps_score__lte=6)),
        "csat_n": Count("csat_score"),
        "csat_satisfied": Count("pk", filter=Q(csat_score__gte=4)),
        "csat_sum": Sum("csat_score"),
        "ces_n": Count("ces_score"),
        "ces_sum": Sum("ces_score"),
        "ces_easy": Count("pk", filter=Q(ces_score__gte=5)),
        "ces_sq": Sum(squared("ces_score"), output_field=FloatField()),
        "responses": Count("pk"),
        "partial": Count("pk", filter=Q(is_complete=False)),
    }


def _resolved() -> Q:
    return Q(resolved_at__isnull=False)


# --- per-ticket definitions, shared by the live aggregates and the rollups (docs/metrics.md) -----
# ``prefix`` reaches the ticket through a relation ("ticket__" from an invitation).
def fcr_q(prefix: str = "") -> Q:
    """First-contact resolution: resolved, with one contact and never reopened."""
    return Q(
        **{
            f"{prefix}resolved_at__isnull": False,
            f"{prefix}contact_count__lte": 1,
            f"{prefix}reopen_count": 0,
        }
    )


def sla_met(value: str, target: str, prefix: str = ""):
    """Whether the ticket's ``value`` (seconds) met its ``target``; None without either."""
    return Case(
        When(
            Q(**{f"{prefix}{target}__isnull": True}) | Q(**{f"{prefix}{value}__isnull": True}),
            then=Value(None),
        ),
        When(**{f"{prefix}{value}__lte": F(f"{prefix}{target}")}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(null=True),
    )


def sla_missed_q() -> Q:
    """The ticket missed its first-response or its resolution target."""
    return Q(first_response_s__gt=F("sla_response_target_s")) | Q(
        resolution_s__gt=F("sla_resolution_target_s")
    )


def sla_overrun():
    """Seconds past the target the ticket missed by most (meaningful where ``sla_missed_q``)."""
    return Greatest(
        Coalesce(F("first_response_s") - F("sla_response_target_s"), Value(-1)),
        Coalesce(F("resolution_s") - F("sla_resolution_target_s"), Value(-1)),
    )


@cache
def histogram_aggregates(durations=DURATIONS) -> MappingProxyType:
    """Counts per TIME_LIMITS bucket of the ``durations`` ((prefix, column) pairs; both
    ticket durations unless told), named ``frt_h1`` … ``res_more``."""
    out = {}
    for prefix, column in durations:
        low = None
        for key, high in TIME_LIMITS:
            # Every bucket has a bound, and a NULL duration passes no comparison: none is
            # counted without an IS NOT NULL of its own.
            bounds = {f"{column}__gt": low} if low is not None else {}
            if high is not None:
                bounds[f"{column}__lte"] = high
            out[f"{prefix}_{key}"] = Count("pk", filter=Q(**bounds))
            low = high
    return MappingProxyType(out)  # shared, read-only (grains.raw_aggregates)


def ticket_aggregates(percentiles: bool = True) -> dict:
    # Uncorrelated, so PostgreSQL hashes the (few) complaint tickets once instead of probing
    # responses for every ticket row.
    complaint_response = Q(pk__in=Response.objects.filter(is_complaint=True).values("invitation__ticket_id"))
    aggregates = {
        "tickets": Count("pk"),
        "complaints": Count("pk", filter=Q(is_complaint=True) | complaint_response),
        "resolved": Count("pk", filter=_resolved()),
        "fcr": Count("pk", filter=fcr_q()),
        "repeat": Count("pk", filter=_resolved() & (Q(contact_count__gt=1) | Q(reopen_count__gt=0))),
        "sla_response_n": Count(
            "pk", filter=Q(sla_response_target_s__isnull=False, first_response_s__isnull=False)
        ),
        "sla_response_met": Count("pk", filter=Q(first_response_s__lte=F("sla_response_target_s"))),
        "sla_resolution_n": Count(
            "pk", filter=Q(sla_resolution_target_s__isnull=False, resolution_s__isnull=False)
        ),
        "sla_resolution_met": Count("pk", filter=Q(resolution_s__lte=F("sla_resolution_target_s"))),
    }
    for prefix, column in DURATIONS:
        aggregates |= {
            f"{prefix}_n": Count(column),
            f"{prefix}_sum": Sum(column),
            f"{prefix}_min": Min(column),
            f"{prefix}_max": Max(column),
            f"{prefix}_sq": Sum(squared(column), output_field=FloatField()),
        }
        if percentiles and is_postgres():
            aggregates[f"{prefix}_pct"] = PercentileCont(column)
    return aggregates


def invitation_aggregates() -> dict:
    return {"sent": Count("pk"), "responses": Count("response")}


def _zero_nulls(row: dict) -> dict:
    # SUM over no rows is NULL; the pure functions look at n before they read a sum.
    out = {
        k: (0 if v is None and not k.endswith(("_pct", "_min", "_max")) else v)
        for k, v in row.items()
        if not k.endswith("_pct")
    }
    for prefix in ("frt", "res"):
        if f"{prefix}_pct" in row:
            p50, p90 = row[f"{prefix}_pct"] or (None, None)
            out |= {f"{prefix}_p50": p50, f"{prefix}_p90": p90}
    return out


def _grouped(queryset, aggregates: dict, group: dict | None) -> dict:
    """``{group key: counts}``; the key is ``None`` when there is no grouping."""
    if not group:
        return {None: _zero_nulls(queryset.aggregate(**aggregates))}
    rows = queryset.order_by().values(**group).annotate(**aggregates)
    names = list(group)
    out = {}
    for row in rows:
        key = row[names[0]] if len(names) == 1 else tuple(row[name] for name in names)
        out[key] = _zero_nulls({k: v for k, v in row.items() if k not in names})
    return out


def percentiles_in_python(rows, n_keys: int, measures, fractions=PERCENTILES, key=tuple) -> dict:
    """Exact percentiles where the database has no ordered-set aggregates (SQLite), with
    ``percentile_cont``'s interpolation: rows of (``n_keys`` keys…, one value per measure) →
    ``{key(keys): {"<measure>_p50": …}}``; a NULL value is not counted."""
    values: dict = defaultdict(lambda: [[] for _m in measures])
    for row in rows:
        lists = values[key(row[:n_keys])]
        for i, value in enumerate(row[n_keys:]):
            if value is not None:
                lists[i].append(value)
    out = {}
    for found_key, lists in values.items():
        into = out[found_key] = {}
        for measure, found_values in zip(measures, lists, strict=True):
            found_values.sort()
            for fraction in fractions:
                into[f"{measure}_p{int(fraction * 100)}"] = percentile(found_values, fraction)
    return out


def _group_key(values: tuple):
    # The shape of _grouped's keys: None ungrouped, the value for one name, else the tuple.
    return None if not values else values[0] if len(values) == 1 else values


def survey_counts(responses, group: dict | None = None) -> dict:
    """One query: NPS/CSAT/CES counts over a Response queryset, optionally grouped."""
    return _grouped(responses, survey_aggregates(), group)


def ticket_counts(
    tickets, group: dict | None = None, extra: dict | None = None, *, percentiles: bool = True
) -> dict:
    """One query (two on SQLite): ticket counts and duration statistics, optionally grouped,
    with any ``extra`` aggregates (``histogram_aggregates()``); medians and p90 unless
    ``percentiles`` is false."""
    out = _grouped(tickets, ticket_aggregates(percentiles) | (extra or {}), group)
    if percentiles and not is_postgres():
        names = list(group or {})
        rows = tickets.order_by().annotate(**(group or {})).values_list(*names, *(c for _p, c in DURATIONS))
        found = percentiles_in_python(rows, len(names), [p for p, _c in DURATIONS], key=_group_key)
        for key, counts in out.items():
            counts |= found.get(key) or {
                f"{p}_p{int(f * 100)}": None for p, _c in DURATIONS for f in PERCENTILES
            }
    return out


def invitation_counts(invitations, group: dict | None = None) -> dict:
    """One query: invitations sent and how many were answered (at any time)."""
    return _grouped(invitations, invitation_aggregates(), group)


def empty_counts(kind: str) -> dict:
    """The counts of an empty group, for buckets or rows the database returned nothing for."""
    if kind == "survey":
        names = [
            "promoters",
            "passives",
            "detractors",
            "csat_n",
            "csat_satisfied",
            "csat_sum",
            "ces_n",
            "ces_sum",
            "ces_easy",
            "ces_sq",
            "responses",
            "partial",
        ]
        return dict.fromkeys(names, 0)
    if kind == "invitation":
        return {"sent": 0, "responses": 0}
    counts = dict.fromkeys(
        [
            "tickets",
            "complaints",
            "resolved",
            "fcr",
            "repeat",
            "sla_response_n",
            "sla_response_met",
            "sla_resolution_n",
            "sla_resolution_met",
        ],
        0,
    )
    for prefix in ("frt", "res"):
        counts |= {
            f"{prefix}_n": 0,
            f"{prefix}_sum": 0,
            f"{prefix}_sq": 0,
            f"{prefix}_min": None,
            f"{prefix}_max": None,
            f"{prefix}_p50": None,
            f"{prefix}_p90": None,
        }
    return counts
