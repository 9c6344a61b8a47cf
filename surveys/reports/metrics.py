"""Every figure of docs/metrics.md: pure functions over counts, and the SQL aggregates behind them.

The pure functions take counts and sums and return a figure in docs/metrics.md units (percent
0–100, NPS −100…100, seconds), or ``None`` when the sample is empty: a figure with n = 0 is
unknown, never 0. The aggregates compute those counts in the database in one query per
record kind (responses, tickets, invitations), optionally grouped; the percentiles use
PostgreSQL's ``percentile_cont`` and, on SQLite, an exact computation with the same
interpolation.
"""

import math
from collections import defaultdict
from contextlib import contextmanager

from django.db import connection, transaction
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
from django.db.models.functions import Coalesce, Greatest

Z95 = 1.96


# --- pure functions -----------------------------------------------------------------------
def ratio_pct(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``; unknown when there is nothing to divide by."""
    if not whole:
        return None
    return 100.0 * part / whole


def mean(total: float | None, n: int) -> float | None:
    if not n or total is None:
        return None
    return total / n


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    n = promoters + passives + detractors
    if not n:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_moe(promoters: int, passives: int, detractors: int) -> float | None:
    """Half-width of the 95 % interval of NPS, from the variance of +1 / 0 / −1 scores."""
    n = promoters + passives + detractors
    if not n:
        return None
    p, d = promoters / n, detractors / n
    variance = max(0.0, p + d - (p - d) ** 2)
    return Z95 * 100.0 * math.sqrt(variance / n)


def wilson_pct(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson 95 % interval of a proportion, in percent."""
    if not n:
        return None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def percentile(sorted_values: list, q: float) -> float | None:
    """Continuous percentile with linear interpolation between the closest ranks.

    The same as PostgreSQL's ``percentile_cont`` and ``statistics.quantiles(method="inclusive")``.
    """
    if not sorted_values:
        return None
    low, high, weight = percentile_ranks(len(sorted_values), q)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight


def percentile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """The two 0-based ranks of ``n`` sorted values that ``percentile`` interpolates between,
    and the weight of the higher one (the report reads only the values at those ranks)."""
    position = q * (n - 1)
    low = math.floor(position)
    return low, min(low + 1, n - 1), position - low


def shown(n: int, min_sample: int) -> bool:
    """A figure from fewer than ``min_sample`` records is shown as "—" with its n."""
    return n >= min_sample


# --- figures from counts --------------------------------------------------------------------
def survey_figures(c: dict) -> dict:
    """NPS, CSAT and CES figures (API shape) from the counts of ``survey_counts``."""
    nps_n = c["promoters"] + c["passives"] + c["detractors"]
    interval = wilson_pct(c["csat_satisfied"], c["csat_n"])
    return {
        "nps": {
            "value": nps(c["promoters"], c["passives"], c["detractors"]),
            "n": nps_n,
            "promoters": c["promoters"],
            "passives": c["passives"],
            "detractors": c["detractors"],
            "moe": nps_moe(c["promoters"], c["passives"], c["detractors"]),
        },
        "csat": {
            "value": ratio_pct(c["csat_satisfied"], c["csat_n"]),
            "n": c["csat_n"],
            "mean": mean(c["csat_sum"], c["csat_n"]),
            "low": interval[0] if interval else None,
            "high": interval[1] if interval else None,
        },
        "ces": {
            "mean": mean(c["ces_sum"], c["ces_n"]),
            "n": c["ces_n"],
            "easy": ratio_pct(c["ces_easy"], c["ces_n"]),
        },
    }


def _duration(c: dict, prefix: str) -> dict:
    n = c[f"{prefix}_n"]
    return {
        "mean_s": mean(c[f"{prefix}_sum"], n),
        "median_s": c.get(f"{prefix}_p50") if n else None,
        "p90_s": c.get(f"{prefix}_p90") if n else None,
        "min_s": c[f"{prefix}_min"] if n else None,
        "max_s": c[f"{prefix}_max"] if n else None,
        "n": n,
    }


def ticket_figures(c: dict) -> dict:
    """Complaint rate, times, FCR, repeat contacts and SLA (API shape) from ``ticket_counts``."""
    return {
        "complaint_rate": {
            "value": ratio_pct(c["complaints"], c["tickets"]),
            "complaints": c["complaints"],
            "tickets": c["tickets"],
        },
        "first_response_time": _duration(c, "frt"),
        "resolution_time": _duration(c, "res"),
        "fcr": {"value": ratio_pct(c["fcr"], c["resolved"]), "n": c["resolved"]},
        "repeat_contact_rate": {"value": ratio_pct(c["repeat"], c["resolved"]), "n": c["resolved"]},
        "sla": {
            "response": {
                "value": ratio_pct(c["sla_response_met"], c["sla_response_n"]),
                "met": c["sla_response_met"],
                "n": c["sla_response_n"],
            },
            "resolution": {
                "value": ratio_pct(c["sla_resolution_met"], c["sla_resolution_n"]),
                "met": c["sla_resolution_met"],
                "n": c["sla_resolution_n"],
            },
        },
    }


def invitation_figures(c: dict) -> dict:
    return {
        "response_rate": {
            "value": ratio_pct(c["responses"], c["sent"]),
            "sent": c["sent"],
            "responses": c["responses"],
        }
    }


# --- SQL ----------------------------------------------------------------------------------
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


PERCENTILES = (0.5, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(ARRAY[q, …]) WITHIN GROUP (ORDER BY expr)``.

    All fractions in one call: the values are sorted once, not once per percentile.
    """

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions=PERCENTILES, **extra):
        from django.contrib.postgres.fields import ArrayField

        # Floats we format ourselves, never user input: they go into the SQL text.
        text = ", ".join(repr(float(f)) for f in fractions)
        super().__init__(expression, fractions=text, output_field=ArrayField(FloatField()), **extra)


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
        **{f"{prefix}resolved_at__isnull": False, f"{prefix}contact_count__lte": 1, f"{prefix}reopen_count": 0}
    )


def sla_met(value: str, target: str, prefix: str = ""):
    """Whether the ticket's ``value`` (seconds) met its ``target``; None without either."""
    return Case(
        When(Q(**{f"{prefix}{target}__isnull": True}) | Q(**{f"{prefix}{value}__isnull": True}), then=Value(None)),
        When(**{f"{prefix}{value}__lte": F(f"{prefix}{target}")}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(null=True),
    )


def sla_missed_q() -> Q:
    """The ticket missed its first-response or its resolution target."""
    return Q(first_response_s__gt=F("sla_response_target_s")) | Q(resolution_s__gt=F("sla_resolution_target_s"))


def sla_overrun():
    """Seconds past the target the ticket missed by most (meaningful where ``sla_missed_q``)."""
    return Greatest(
        Coalesce(F("first_response_s") - F("sla_response_target_s"), Value(-1)),
        Coalesce(F("resolution_s") - F("sla_resolution_target_s"), Value(-1)),
    )


# Histogram buckets of response and resolution times: (key, upper bound in seconds, inclusive).
HOUR = 3600
TIME_LIMITS = [("h1", HOUR), ("h4", 4 * HOUR), ("d1", 24 * HOUR), ("d3", 72 * HOUR), ("more", None)]
# The two measured durations: (prefix of their counts, column on Ticket and TicketFact).
DURATIONS = (("frt", "first_response_s"), ("res", "resolution_s"))


def histogram_aggregates() -> dict:
    """Counts per TIME_LIMITS bucket of both durations, named ``frt_h1`` … ``res_more``."""
    out = {}
    for prefix, column in DURATIONS:
        low = None
        for key, high in TIME_LIMITS:
            q = Q(**{f"{column}__isnull": False})
            if low is not None:
                q &= Q(**{f"{column}__gt": low})
            if high is not None:
                q &= Q(**{f"{column}__lte": high})
            out[f"{prefix}_{key}"] = Count("pk", filter=q)
            low = high
    return out


def ticket_aggregates(percentiles: bool = True) -> dict:
    from .models import Response

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


def _percentiles_python(queryset, group: dict | None, out: dict) -> None:
    """Exact medians and p90 where the database has no ordered-set aggregates (SQLite)."""
    for prefix, column in DURATIONS:
        values = defaultdict(list)
        names = list(group or {})
        rows = queryset.order_by().filter(**{f"{column}__isnull": False})
        rows = rows.annotate(**group).values_list(*names, column) if group else rows.values_list(column)
        for row in rows:
            key = None if not names else (row[0] if len(names) == 1 else tuple(row[: len(names)]))
            values[key].append(row[-1])
        for key, counts in out.items():
            ordered = sorted(values.get(key, []))
            counts[f"{prefix}_p50"] = percentile(ordered, 0.5)
            counts[f"{prefix}_p90"] = percentile(ordered, 0.9)


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
        _percentiles_python(tickets, group, out)
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
            f"{prefix}_min": None,
            f"{prefix}_max": None,
            f"{prefix}_p50": None,
            f"{prefix}_p90": None,
        }
    return counts


# Report queries are few, large and short: PostgreSQL's JIT compiler spends longer compiling
# them (seconds, measured in bench/bench_reports.py) than they take to run, and sorts for
# percentiles and exports spill to disk at the default work_mem. Both settings are LOCAL:
# they end with the transaction and never leak to other requests on a pooled connection.
# set_config(…, true) is SET LOCAL, both in one statement.
REPORT_SESSION_SQL = "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"


@contextmanager
def report_transaction():
    """A read transaction tuned for report queries (a plain block on other databases), in
    which the rollups' state is read once (surveys/reports/rollups.py)."""
    from .reports.rollups import coverage_scope

    if not is_postgres():
        with coverage_scope():
            yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic(), coverage_scope():
        with connection.cursor() as cursor:
            if outermost:
                # One snapshot for the whole report: figures read from rollups in several
                # statements (a median's count, then its rank) cannot straddle a refresh.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(REPORT_SESSION_SQL)
        yield
