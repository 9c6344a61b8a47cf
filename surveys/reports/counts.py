"""Report counts: from the daily rollups where they can answer, else from the source rows.

Every function returns what ``reports/aggregates.py`` returns over the ReportFilters querysets for
the same filters (tests/reports/test_rollups.py holds them to it). The rollups answer the
days before their cutoff (the day of their last refresh); the days from the cutoff on are
read live from the source rows, in the same SQL statement (UNION ALL), so today is never
stale. What the rollups cannot answer:

- ticket figures filtered or broken down by campaign (a ticket belongs to a campaign only
  through its invitations): the source rows;
- ticket filters or groupings no kept grain covers: TicketFact, one narrow row per ticket;
- medians and p90: exact, from TicketFact values (percentiles.py) — never from
  histogram buckets, which docs/metrics.md does not allow;
- verbatims: always the source rows (a newest-first list).

Keys are tuples: the time key first when asked for (the index of the period for
``Periods``, the bucket's first day for ``Bucket``), then one value per dimension in ``by``,
then, with ``labels``, the name of each id dimension.
"""

from decimal import Decimal
from itertools import chain

from django.db.models import DateField, F, Func

from ..models import Ticket, TicketFact
from . import rollups_read
from .aggregates import (
    empty_counts,
    histogram_aggregates,
    invitation_counts,
    sla_missed_q,
    sla_overrun,
    survey_counts,
    ticket_counts,
)
from .filters import ReportFilters
from .grains import KINDS, fact_aggregates, raw_aggregates, rollup_aggregates
from .live import live_rows, project
from .percentiles import NO_PERCENTILES, percentiles_for, walks


def _number(value):
    return int(value) if isinstance(value, Decimal) else value


def _merge(rows, n_keys: int, names: list[str], grouped: bool, timed: bool) -> dict:
    """Rows of (keys…, counts…) from several parts, summed per key."""
    out: dict = {}
    for row in rows:
        key = tuple(row[:n_keys]) if grouped else ()
        if timed:
            key = (rollups_read.as_date(key[0]), *key[1:])
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
    only: tuple[str, ...] = (),
) -> dict[tuple, dict]:
    """``{key: counts}`` of ``source`` ("survey", "ticket", "invitation", "funnel") rows.

    One query from the rollups (plus one for ``percentiles``, two on the fast path), or what
    ``reports/aggregates.py`` runs on the source rows. ``histogram`` adds the ticket time buckets,
    ``percentiles`` the exact medians (and, ungrouped, p90) of the ticket durations named
    ("frt", "res"); ``only`` names the counts wanted, when not all (the rollups then read no
    others; the source rows may still return more). Within a report (``coverage_scope``) the same question is asked of the
    database once; callers must not change what they get.
    """
    # One report asks some questions twice (the agent table and the drivers): answered once.
    memo = rollups_read.scope_memo()
    args = (source, filters, by, labels, time, histogram, percentiles, only)
    if memo is not None and args in memo.setdefault("counts", {}):
        return memo["counts"][args]
    found = _counts(*args)
    if memo is not None:
        memo["counts"][args] = found
    return found


def _counts(source, filters, by, labels, time, histogram, percentiles, only) -> dict[tuple, dict]:
    cov = rollups_read.coverage()
    plan = rollups_read.plan(source, filters, by, cov)
    if plan is None:
        return _source_counts(source, filters, by, labels, time, histogram, percentiles)
    kind = KINDS[source]
    path, mask = plan
    names = list(rollup_aggregates(kind))
    # A median walked per group starts at the bucket that holds it (percentiles.walks).
    histogram = histogram or (source == "ticket" and walks(filters, by, time, percentiles))
    if source == "ticket" and not histogram:
        histogram_names = histogram_aggregates().keys()
        names = [n for n in names if n not in histogram_names]
    if only:
        names = [n for n in names if n in only]
    closed_end = min(filters.end, cov.cutoff)
    parts = []
    if filters.start < closed_end:
        if path == "rollup":
            rows = rollups_read.grain_rows(kind.model, mask, filters, closed_end, time, kind.has_months(mask))
            aggregates = rollup_aggregates(kind)
        else:
            rows = rollups_read.closed_rows(TicketFact.objects.all(), filters, closed_end)
            aggregates = fact_aggregates()
        keys = rollups_read.rollup_keys(by, labels, time) | (
            {"reason": F("reason")} if source == "funnel" else {}
        )
        parts.append(rollups_read.select(rows, keys, {n: aggregates[n] for n in names}))
    live = rollups_read.live_filters(filters, cov)
    read_once = live_rows(source, live) if live is not None else None
    if read_once is not None:
        live = None  # this report's live rows of the kind, read once (live.py)
    if live is not None:
        aggregates = raw_aggregates(source)
        keys = rollups_read.source_keys(source, by, labels, time)
        if source == "funnel":
            keys["reason"] = F("suppression_reason")
        parts.append(
            rollups_read.select(
                rollups_read.source_rows(source, live), keys, {n: aggregates[n] for n in names}
            )
        )
    n_keys = len(rollups_read.rollup_keys(by, labels, time)) + (source == "funnel")
    grouped = n_keys > 0
    rows = rollups_read.union(parts) if parts else []
    if read_once is not None:
        rows = chain(rows, project(read_once, by, labels, time, names, source == "funnel"))
    out = _merge(rows, max(1, n_keys), names, grouped, time is not None)
    if not grouped and () not in out:
        out[()] = empty_counts(source) if source != "funnel" else dict.fromkeys(names, 0)
    if percentiles and source == "ticket":
        n_time = 1 if time is not None else 0
        found = percentiles_for(filters, by, time, cov, percentiles, out)
        for key, row in out.items():
            row |= found.get(key[: n_time + len(by)], NO_PERCENTILES)
    return out


def _source_counts(source, filters, by, labels, time, histogram, percentiles) -> dict[tuple, dict]:
    """The same counts from the source rows (``reports/aggregates.py``)."""
    queryset = rollups_read.source_rows(source, filters)
    keys = rollups_read.source_keys(source, by, labels, time)
    if source == "funnel":
        keys["reason"] = F("suppression_reason")
        aggregates = raw_aggregates("funnel")
        rows = queryset.order_by().values(**keys).annotate(**aggregates)
        return {tuple(r[k] for k in keys): {n: r[n] for n in aggregates} for r in rows}
    if source == "survey":
        found = survey_counts(queryset, keys or None)
    elif source == "ticket":
        found = ticket_counts(
            queryset,
            keys or None,
            histogram_aggregates() if histogram else None,
            percentiles=bool(percentiles),
        )
    else:
        found = invitation_counts(queryset, keys or None)
    out = {}
    for key, row in found.items():
        if not keys:
            key = ()
        elif len(keys) == 1:
            key = (key,)
        if time is not None:
            key = (rollups_read.as_date(key[0]), *key[1:])
        out[key] = row
    return out


# --- lists ----------------------------------------------------------------------------------
class Unindexed(Func):
    """A column as it is, except on SQLite, where a unary ``+`` keeps the planner off the
    column's index (SQLite's documented way to steer it). The breach list wants the overrun
    index walked worst first; without statistics on how many days a range holds, SQLite
    picks the day index, reads every fact of a long period and sorts them (0.5 s at
    333,000 tickets over two years)."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"+{sql}", params


# What a breach's row shows (reports/_breaches.html, dashboard.breaches_display): a ticket's
# other forty columns are neither read nor converted.
BREACH_FIELDS = (
    "reference",
    "external_id",
    "priority",
    "first_response_s",
    "resolution_s",
    "team__name",
    "agent__name",
)


def breach_tickets(filters: ReportFilters, limit: int):
    """The tickets that missed a target, the largest overrun first (Ticket rows, annotated)."""
    missed, overrun = sla_missed_q(), sla_overrun()
    cov = rollups_read.coverage()
    plan = rollups_read.plan("ticket", filters, (), cov)
    if plan is None:
        qs = filters.tickets().filter(missed)
    else:
        closed_end = min(filters.end, cov.cutoff)
        parts = []
        if filters.start < closed_end:
            facts = rollups_read.closed_rows(TicketFact.objects.filter(overrun_s__isnull=False), filters, None)
            facts = facts.alias(on=Unindexed(F("day"))).filter(on__gte=filters.start, on__lt=closed_end)
            worst = facts.order_by("-overrun_s", "ticket_id").values("ticket_id")[:limit]
            # Wrapped so the LIMIT sits in a subquery, which every database allows in a UNION.
            parts.append(TicketFact.objects.filter(ticket_id__in=worst).order_by().values("ticket_id"))
        live = rollups_read.live_filters(filters, cov)
        if live is not None:
            parts.append(live.tickets().filter(missed).order_by().values("pk"))
        # The current rows decide: a ticket changed since the refresh shows as it is now.
        qs = filters.tickets(Ticket.objects.filter(pk__in=rollups_read.union(parts))).filter(missed)
    qs = qs.select_related("agent", "team").only(*BREACH_FIELDS).annotate(overrun_s=overrun)
    return list(qs.order_by("-overrun_s", "pk")[:limit])
