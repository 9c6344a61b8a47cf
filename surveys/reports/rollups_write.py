"""Keep the report rollups current (surveys/models/rollups.py).

``rollups_refresh`` finds what changed since the last run — rows whose ``updated_at`` is
newer than the watermark, less an overlap for transactions that committed late — works out
every day those changes touch (a ticket's old day as well as its new one, the days of its
responses and invitations), and recomputes exactly those days in one transaction. The first
run, or ``full=True``, recomputes everything. Readers see the old rows or the new ones,
never a mix. Recomputing a day is idempotent, so overlapping runs only cost time.

Two workers never refresh at once: a run first claims the RollupState row with a
conditional UPDATE (a lease, freed when it ends or expires), and on PostgreSQL also holds a
transaction-level advisory lock while it writes.
"""

import logging
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    FunnelDay,
    Invitation,
    InvitationDay,
    Response,
    ResponseDay,
    RollupState,
    Ticket,
    TicketDay,
    TicketFact,
    TicketTimeDay,
)
from ..models.rollups import FollowUpFact, InvitationFact, NonResponseDay
from . import followup_facts, invitation_facts, metrics, rollups_months, rollups_read, snapshot, ticket_facts
from .filters import midnight, site_tz
from .grains import (
    FUNNEL,
    KINDS,
    MONTH,
    TICKET,
    Kind,
    fact_aggregates,
    local_day,
    raw_aggregates,
    rollup_aggregates,
    source_dim,
    source_moment,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "reports rollups".
LOCK_KEY = 0x5245_5052
# Beyond this many changed rows a full rebuild is cheaper than following each change.
FULL_THRESHOLD = 200_000
CHUNK = 900  # ids per IN list: SQLite's old 999-parameter limit
DAY_BATCH = 100
VACUUM_AFTER_DAYS = 60


# --- bookkeeping ----------------------------------------------------------------------------
def rollup_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create(pk=RollupState.ID)
    return state


def _claim(now: datetime, until: datetime) -> bool:
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return RollupState.objects.filter(free, pk=RollupState.ID).update(claimed_until=until) == 1


def _release(until: datetime) -> None:
    # Only our own claim: if it ran out and another run claimed since, that one's stays.
    RollupState.objects.filter(pk=RollupState.ID, claimed_until=until).update(claimed_until=None)


def rollups_refresh(
    *, full: bool = False, now: datetime | None = None, lease_seconds: int | None = None
) -> dict | None:
    """Bring the rollups up to date; returns what was done, or None when another run holds
    the claim. ``full`` recomputes every day (also done when nothing was built yet)."""
    rollup_state()
    now = now or timezone.now()
    lease = lease_seconds or settings.REPORT_ROLLUP_LEASE_SECONDS
    claimed_until = now + timedelta(seconds=lease)
    if not _claim(now, claimed_until):
        logger.info("report rollups: another refresh holds the claim; skipped")
        return None
    try:
        return _refresh(full=full, started=now)
    finally:
        _release(claimed_until)


def _refresh(*, full: bool, started: datetime) -> dict:
    t0 = time.perf_counter()
    state = RollupState.objects.get(pk=RollupState.ID)
    full = full or state.built_at is None or state.watermark is None
    since = None if full else state.watermark - timedelta(seconds=settings.REPORT_ROLLUP_OVERLAP_SECONDS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
                cursor.execute(snapshot.REPORT_SESSION_SQL)
        days = None if full else _changed_days(since)
        if days is None:
            full = True
            _rebuild_all()
            touched = 0
        else:
            for kind, kind_days in days.items():
                _recompute(kind, sorted(kind_days))
            touched = len(set().union(*days.values()))
        seconds = time.perf_counter() - t0
        RollupState.objects.filter(pk=RollupState.ID).update(
            watermark=started,
            cutoff=timezone.localtime(started, site_tz()).date(),
            built_at=started if full else F("built_at"),
            last_seconds=seconds,
            last_days=touched,
        )
    # A refresh that rewrote many days leaves as many dead rows as a rebuild: the same
    # statistics and visibility then (the percentile walks read the facts' index only).
    if full or touched > VACUUM_AFTER_DAYS:
        if connection.vendor == "postgresql":
            _vacuum()
        else:
            _analyze()
    result = {"full": full, "days": touched, "seconds": round(time.perf_counter() - t0, 3)}
    logger.info("report rollups refreshed: %s", result)
    return result


def _vacuum() -> None:
    """Fresh statistics and visibility after a rebuild: the planner then reads the fact
    table's bucket index without touching the table (percentiles). VACUUM cannot run in a
    transaction; inside one (tests) ANALYZE does the statistics half."""
    models = (
        TicketFact,
        TicketDay,
        TicketTimeDay,
        ResponseDay,
        InvitationDay,
        FunnelDay,
        InvitationFact,
        NonResponseDay,
        FollowUpFact,
    )
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM (ANALYZE)'} {tables}")


def _analyze() -> None:
    """SQLite: statistics for the whole file after a rebuild (none exist until ANALYZE runs).
    Without them the planner reads the live days' cohort from every invitation instead of
    the response day index (~0.2 s at 100,000 responses rather than ~10 ms)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- what changed ---------------------------------------------------------------------------
def _chunks(values, size: int = CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _days_of(queryset, expression, ids=None, field=None) -> set[date]:
    """Distinct site-local days of ``expression`` over ``queryset`` (restricted to ``ids``)."""
    out: set[date] = set()
    batches = [None] if ids is None else _chunks(ids)
    for batch in batches:
        qs = queryset if batch is None else queryset.filter(**{f"{field}__in": batch})
        rows = qs.order_by().annotate(_day=expression).values_list("_day", flat=True).distinct()
        out |= {rollups_read.as_date(d) for d in rows if d is not None}
    return out


def _changed_days(since: datetime) -> dict[str, set[date]] | None:
    """The days each rollup must recompute, with TicketFact already rewritten for the tickets
    that changed; None when so much changed that a full rebuild is the cheaper way."""
    changed_tickets = set(Ticket.objects.filter(updated_at__gt=since).values_list("pk", flat=True))
    changed_responses = list(
        Response.objects.filter(updated_at__gt=since).values_list("pk", "invitation__ticket_id")
    )
    changed_invitations = list(Invitation.objects.filter(updated_at__gt=since).values_list("pk", "ticket_id"))
    if len(changed_tickets) + len(changed_responses) + len(changed_invitations) > FULL_THRESHOLD:
        return None
    # A response can make its ticket a complaint: its fact changes too.
    refact = changed_tickets | {ticket_id for _pk, ticket_id in changed_responses}
    ticket_days = _days_of(TicketFact.objects.all(), F("day"), refact, "ticket_id")
    for batch in _chunks(refact):
        TicketFact.objects.filter(ticket_id__in=batch).delete()
        ticket_facts.write(Ticket.objects.filter(pk__in=batch), _insert, _select)
    ticket_days |= _days_of(TicketFact.objects.all(), F("day"), refact, "ticket_id")

    response_ids = {pk for pk, _t in changed_responses}
    survey_days = _days_of(Response.objects.all(), local_day("started_at"), response_ids, "pk")
    # A case, or its re-survey's answer, changes its response's follow-up fact.
    cases = followup_facts.changed_response_ids(since, response_ids)
    survey_days |= _days_of(Response.objects.all(), local_day("started_at"), cases, "pk")
    # A ticket's dimensions and durations are its responses' and invitations' too.
    survey_days |= _days_of(
        Response.objects.all(), local_day("started_at"), changed_tickets, "invitation__ticket_id"
    )
    sent = Invitation.objects.filter(sent_at__isnull=False)
    invitation_ids = {pk for pk, _t in changed_invitations}
    invitation_days = _days_of(sent, local_day("sent_at"), invitation_ids, "pk")
    invitation_days |= _days_of(sent, local_day("sent_at"), changed_tickets, "ticket_id")
    # An answer changes its invitation's "answered", counted on the invitation's send day.
    invitation_days |= _days_of(sent, local_day("sent_at"), response_ids, "response__pk")
    # The funnel counts invitations on their ticket's day.
    funnel_tickets = {t for _pk, t in changed_invitations} | {t for _pk, t in changed_responses}
    funnel_days = ticket_days | _days_of(TicketFact.objects.all(), F("day"), funnel_tickets, "ticket_id")
    return {
        "ticket": ticket_days,
        "survey": survey_days,
        "invitation": invitation_days,
        "funnel": funnel_days,
    }


# --- writing rows ---------------------------------------------------------------------------
def _insert(model, columns: list[str], queryset) -> int:
    """INSERT INTO ``model`` (``columns``) SELECT ``queryset``: rows never pass through Python."""
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    names = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


def _select(queryset, columns: dict):
    """``queryset`` selecting ``columns`` (name → expression) in order, under safe aliases."""
    aliases = {f"x_{name}": expression for name, expression in columns.items()}
    return queryset.order_by().annotate(**aliases).values_list(*aliases)


def _day_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into half-open ranges."""
    ranges: list[list[date]] = []
    for day in days:
        if ranges and ranges[-1][1] == day:
            ranges[-1][1] = day + timedelta(days=1)
        else:
            ranges.append([day, day + timedelta(days=1)])
    return [(a, b) for a, b in ranges]


def _moment_in(kind: str, days: list[date] | None) -> Q:
    """Source rows of ``kind`` dated on one of ``days`` (by index-friendly ranges)."""
    source = "ticket" if kind == "funnel" else kind
    if kind == "funnel":
        base = Q(ticket__closed_at__isnull=False) | Q(ticket__resolved_at__isnull=False)
    elif kind == "invitation":
        base = Q(sent_at__isnull=False)
    else:
        base = Q()
    if days is None:
        return base
    q = Q(pk__in=[])
    for low, high in _day_ranges(days):
        lo, hi = midnight(low), midnight(high)
        if source == "ticket":
            p = "ticket__" if kind == "funnel" else ""
            q |= Q(**{f"{p}closed_at__gte": lo, f"{p}closed_at__lt": hi}) | Q(
                **{f"{p}closed_at__isnull": True, f"{p}resolved_at__gte": lo, f"{p}resolved_at__lt": hi}
            )
        else:
            field = "started_at" if kind == "survey" else "sent_at"
            q |= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return base & q


def _source_rows(kind: str):
    if kind == "survey":
        return Response.objects.all()
    return Invitation.objects.all()


def _recompute(kind_name: str, days: list[date] | None) -> None:
    """Delete and rewrite every grain of one rollup for ``days`` (None: every day)."""
    if days is not None and not days:
        return
    kind = KINDS[kind_name]
    # A hundred days at a time keeps each statement's list of date ranges short.
    for batch in [None] if days is None else _chunks(days, DAY_BATCH):
        for model in [kind.model] + ([TicketTimeDay] if kind is TICKET else []):
            # Month rows are rewritten from the day rows below, after every batch.
            rows = (
                model.objects.all() if batch is None else model.objects.filter(day__in=batch, grain__lt=MONTH)
            )
            rows.delete()
        if kind_name == "survey":
            # The follow-up figures' cohort rows, for the same days.
            followup_facts.delete_days(batch)
            followup_facts.write(Response.objects.filter(_moment_in("survey", batch)), _insert, _select)
        if kind_name == "invitation":
            # The non-response check's per-invitation rows, for the same days.
            invitation_facts.delete_days(batch)
            sent = Invitation.objects.filter(_moment_in("invitation", batch))
            invitation_facts.write(sent, _insert, _select)
            invitation_facts.write_days(batch, _insert_grain)
        if kind is TICKET:
            # Ticket grains are sums of TicketFact rows, which hold each ticket's flags.
            facts = TicketFact.objects.all() if batch is None else TicketFact.objects.filter(day__in=batch)
            for grain in kind.grains:
                _insert_grain(
                    kind, grain, facts, {d: F(rollups_read.column(d)) for d in grain}, fact_aggregates()
                )
            _insert_time_histogram(facts)
            continue
        # Other kinds: the full grain from the source rows, then every other grain from it.
        keys = {d: source_dim(kind.name, d) for d in kind.dims}
        if kind is FUNNEL:
            keys["reason"] = F("suppression_reason")
        rows = _source_rows(kind.name).filter(_moment_in(kind.name, batch))
        day = local_day(source_moment(kind.name))
        _insert_grain(kind, kind.dims, rows, keys, raw_aggregates(kind.name), day=day)
        full_rows = kind.model.objects.filter(grain=kind.mask(kind.dims))
        if batch is not None:
            full_rows = full_rows.filter(day__in=batch)
        for grain in kind.grains:
            if grain != kind.dims:
                keys = {d: F(rollups_read.column(d)) for d in (*grain, *kind.always)}
                _insert_grain(kind, grain, full_rows, keys, rollup_aggregates(kind))
    months = rollups_months.months_of(days)
    rollups_months.recompute(kind, months, _insert_grain)
    if kind is TICKET:
        rollups_months.recompute_times(months, _insert)


def _insert_grain(kind: Kind, grain, rows, keys: dict, aggregates: dict, day=None, flag: int = 0) -> int:
    """One grain of ``kind`` from ``rows``: grouped by day and ``keys``, summed (``flag``:
    grains.MONTH for month rows, ``day`` then the month's first day)."""
    group = {"grain": Value(kind.mask(grain) | flag), "day": day if day is not None else F("day"), **keys}
    # A SUM over only NULLs is NULL; the rollup stores 0 (its count says there was nothing).
    aggregates = {
        k: Coalesce(v, Value(0.0 if k.endswith("_sq") else 0)) if isinstance(v, Sum) else v
        for k, v in aggregates.items()
    }
    columns = ["grain", "day", *keys, *aggregates]
    return _insert(kind.model, columns, rollups_read.select(rows, group, aggregates))


def _insert_time_histogram(facts) -> None:
    for measure, (prefix, _column) in enumerate(metrics.DURATIONS):
        bucket = f"{prefix}_bucket"
        rows = facts.filter(**{f"{bucket}__isnull": False})
        group = {"grain": Value(0), "day": F("day"), "measure": Value(measure), "bucket": F(bucket)}
        _insert(
            TicketTimeDay,
            ["grain", "day", "measure", "bucket", "n"],
            rollups_read.select(rows, group, {"n": Count("pk")}),
        )


def _rebuild_all() -> None:
    TicketFact.objects.all().delete()
    ticket_facts.write(Ticket.objects.all(), _insert, _select)
    for kind in ("ticket", "survey", "invitation", "funnel"):
        _recompute(kind, None)

