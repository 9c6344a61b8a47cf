"""Stored ticket events: accept (store only), claim a batch, apply it (docs/design.md flow 1).

Accepting is one ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``):
a redelivery costs no error and writes nothing. Applying happens in workers, in batches:

- PostgreSQL: the batch is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` inside the
  transaction that applies it, so two workers never take the same event and a killed worker's
  claim ends with its connection.
- SQLite (no row locks): a conditional ``UPDATE`` writes a claim token on stored, unclaimed
  events (or ones whose claim is older than ``CLAIM_LEASE``), then reads them back by token.

The CSV import stores a batch and applies it in one transaction, with no claim
(``events_store_apply``): no worker sees the events before they are settled.

A batch applies its events in ``occurred_at`` order per ticket, inside one transaction, in a
fixed number of queries (``ticket_batch.py``; a batch with a reopen runs the one-event path,
``ticket_apply.py``, in one savepoint). If any event
raises, the batch is rolled back and run again one event per savepoint, so one bad
event cannot hold up the others: a contradiction (``PayloadInvalid``) or a database refusal
marks it ``failed`` with its error; a transient database error leaves it ``stored`` with a
backoff. Nothing is dropped: a failed event stays until an admin retries it.
"""

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone

from ..ingest.schema import EventData, PayloadInvalid, event_parse
from ..models import Ticket, TicketEvent, TicketEventStatus
from ..plans import plans_for_values
from ..transient import db_error_is_transient
from .invitations import invitations_enqueue_due
from .ticket_apply import BatchContext, Outcome, event_apply
from .ticket_batch import Unbatchable, batch_apply

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A SQLite claim older than this is taken over (its worker died). PostgreSQL needs none.
CLAIM_LEASE = timedelta(minutes=5)
# Backoff after a transient error: 5 s, 10 s, 20 s … at most 10 minutes.
BACKOFF_BASE_S, BACKOFF_MAX_S = 5, 600
# A concurrent insert of the same ticket, customer, agent or team: run the event again.
_INTEGRITY_ATTEMPTS = 3


def event_from(data: EventData) -> TicketEvent:
    return TicketEvent(
        source=data.source,
        event_id=data.event_id,
        type=data.type,
        occurred_at=data.occurred_at,
        payload=data.payload,
        status=TicketEventStatus.STORED,
    )


def events_store(events: Iterable[TicketEvent]) -> None:
    """Store events; the ones already stored under their (source, event_id) are left alone.
    One ``INSERT … ON CONFLICT DO NOTHING`` for the lot."""
    TicketEvent.objects.bulk_create(list(events), ignore_conflicts=True)


def event_accept(*, payload: Mapping[str, Any], decoded: bool = False) -> tuple[TicketEvent, bool]:
    """Validate and store one event, applying nothing. Returns (event, created). Raises
    ``PayloadInvalid`` (nothing stored) for a bad field. ``decoded``: as for ``event_parse``.

    A new event is one statement, ``INSERT … RETURNING id`` (outside a transaction it commits
    by itself: no BEGIN, no COMMIT round trip), guarded by the unique (source, event_id)
    constraint; a redelivery fails that insert and costs one read more. Measured against
    ``bulk_create(ignore_conflicts=True)`` plus a read (bench/bench_ingest.py webhook-cpu,
    docs/benchmarks.md)."""
    data = event_parse(payload, decoded=decoded)
    event = event_from(data)
    try:
        if connection.in_atomic_block:  # the caller's transaction must survive a duplicate
            with transaction.atomic():
                event.save(force_insert=True)
        else:
            event.save(force_insert=True)
    except IntegrityError:
        stored = TicketEvent.objects.filter(source=data.source, event_id=data.event_id).only(
            "pk", "source", "event_id", "status", "received_at"
        ).first()
        if stored is None:  # not the duplicate key: some other constraint refused the event
            raise
        return stored, False
    return event, True


@dataclass
class BatchResult:
    claimed: int = 0
    applied: int = 0
    stale: int = 0
    failed: int = 0
    deferred: int = 0  # transient error: left stored, tried again after a backoff


def events_apply_batch(*, limit: int = BATCH_SIZE, now: datetime | None = None) -> BatchResult:
    """Claim up to ``limit`` stored, due events and apply them. Returns the counts; ``claimed``
    0 means there was nothing to do."""
    now = now or timezone.now()
    if connection.features.has_select_for_update_skip_locked:
        # A batch's lookups planned for its keys; its foreign keys checked at the commit with
        # the cached plans (surveys/plans.py).
        with transaction.atomic(), plans_for_values():
            events = list(_due(now).select_for_update(skip_locked=True).order_by("pk")[:limit])
            return _apply(events, now=now, create_invitations=True)
    events = events_claim_update(limit=limit, now=now)
    with transaction.atomic():
        return _apply(events, now=now, create_invitations=True)


def events_store_apply(
    parsed: list[EventData], *, create_invitations: bool = True, now: datetime | None = None
) -> list[TicketEvent]:
    """Store new events and apply them, in the caller's transaction (the CSV import's batch).

    No claim: rows this transaction inserts are seen by no worker until it commits, and by
    then they are settled. One ``INSERT … RETURNING id`` stores them; the events are applied
    from ``parsed`` as they are, nothing read back or parsed again. Returns the events,
    settled (``status``, ``last_error``). Raises IntegrityError, with nothing written and the
    caller's transaction still usable, when the database refuses one of them: most often one
    already stored (a sender stored it meanwhile), which the caller leaves out before trying
    again."""
    if not connection.in_atomic_block:
        raise RuntimeError("events_store_apply() needs the caller's transaction: its events must not be seen unsettled.")
    events = [event_from(data) for data in parsed]
    with transaction.atomic():  # a savepoint: a refused insert leaves the caller's transaction usable
        TicketEvent.objects.bulk_create(events)
    known = {(data.source, data.event_id): data for data in parsed}
    with plans_for_values():
        _apply(events, now=now or timezone.now(), create_invitations=create_invitations, parsed=known)
    return events


def _due(now: datetime):
    return TicketEvent.objects.filter(status=TicketEventStatus.STORED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def events_claim_update(*, limit: int, now: datetime) -> list[TicketEvent]:
    """The SQLite claim: a conditional UPDATE marks up to ``limit`` stored, unclaimed (or
    lease-expired) events with a fresh token; the events carrying it are this worker's."""
    token = uuid.uuid4()
    free = Q(claim_token__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE)
    pks = _due(now).filter(free).order_by("pk").values("pk")[:limit]
    TicketEvent.objects.filter(pk__in=list(pks.values_list("pk", flat=True))).filter(free).filter(
        status=TicketEventStatus.STORED
    ).update(claim_token=token, claimed_at=now)
    return list(TicketEvent.objects.filter(claim_token=token).order_by("pk"))


def _ordered(
    events: list[TicketEvent], known: Mapping[tuple[str, str], EventData] | None = None
) -> list[tuple[TicketEvent, EventData | None, str]]:
    """Parsed events (each payload parsed once: ``known`` ones not at all), per ticket in
    ``occurred_at`` order, tickets in key order (so two workers lock tickets in the same order).
    An event whose payload no longer parses (redacted before it was applied) carries its error
    instead."""
    known = known or {}
    parsed = []
    for event in events:
        try:
            if event.redacted_at is not None:
                data = None
            else:
                data = known.get((event.source, event.event_id)) or event_parse(event.payload, storable=True)
            error = "" if data is not None else "personal data removed before the event was applied"
        except PayloadInvalid as exc:
            data, error = None, f"invalid payload: {exc.errors}"
        parsed.append((event, data, error))
    return sorted(
        parsed,
        key=lambda item: (
            item[1] is None,
            (item[1].source, item[1].ticket.external_id, item[1].occurred_at, item[0].pk) if item[1] else item[0].pk,
        ),
    )


def _apply(
    events: list[TicketEvent], *, now: datetime, create_invitations: bool,
    parsed: Mapping[tuple[str, str], EventData] | None = None,
) -> BatchResult:
    """Inside the caller's transaction: every event in one savepoint; if one raises, again one
    savepoint per event, marking the one that fails."""
    result = BatchResult(claimed=len(events))
    if not events:
        return result
    ctx = BatchContext.load()
    items = _ordered(events, parsed)
    valid = [(e.pk, d) for e, d, error in items if not error]
    outcomes, batched = None, False
    for _attempt in range(_INTEGRITY_ATTEMPTS):
        try:
            with transaction.atomic():
                outcomes, invitations = batch_apply(valid, ctx=ctx, create_invitations=create_invitations, now=now)
            invitations_enqueue_due(invitations, now=now)
            batched = True
            break
        except IntegrityError:
            continue  # a concurrent worker inserted one of our new rows: the re-read finds it
        except Unbatchable:
            break
        except Exception:  # noqa: BLE001 - whatever it was, find the event that raises it
            outcomes = {}
            break
    if outcomes is None:  # what the batch path leaves to the one-event path: all in one savepoint
        try:
            with transaction.atomic():
                outcomes = {
                    pk: event_apply(data=d, ctx=ctx, create_invitations=create_invitations, now=now)
                    for pk, d in valid
                }
        except Exception:  # noqa: BLE001 - whatever it was, find the event that raises it
            outcomes = {}
    if not batched and len(outcomes) < len(valid):
        outcomes = {}
        for event, data, error in items:
            if error:
                continue
            try:
                outcomes[event.pk] = _apply_one(data, ctx=ctx, create_invitations=create_invitations, now=now)
            except Exception as exc:  # noqa: BLE001 - kept on the event (failed), never a poison batch
                if not isinstance(exc, PayloadInvalid | DatabaseError):
                    logger.exception("Ticket event %s raised while applied", event.pk)
                outcomes[event.pk] = exc
    # Events settling for the first time and well: one UPDATE per status (see _settle_done).
    # The few that failed, or had failed before, one by one.
    first_try = {e.pk for e in events if not e.last_error and e.next_attempt_at is None}
    for event, _data, error in items:
        _settle(event, outcomes.get(event.pk, PayloadInvalid({"": [error]})), now=now, result=result)
    done = (TicketEventStatus.APPLIED, TicketEventStatus.STALE)
    for status in done:
        _settle_done([(e, d) for e, d, _error in items if e.status == status and e.pk in first_try], status, now)
    for event in events:
        if event.status not in done or event.pk not in first_try:
            event.save(update_fields=["status", "ticket", "applied_at", "attempts", "next_attempt_at", "last_error"])
    if any(e.claim_token for e in events):  # the UPDATE claim (SQLite): release it
        TicketEvent.objects.filter(pk__in=[e.pk for e in events]).update(claim_token=None, claimed_at=None)
    return result


def _settle_done(settled: list[tuple[TicketEvent, EventData]], status: str, now: datetime) -> None:
    """One UPDATE for the events settled with ``status``: status, applied_at and their ticket.
    The ticket is found by the key the event names, (source, payload's ticket id), with a
    subquery on the tickets' unique key: no per-row CASE to build (bulk_update's CASE cost
    a fifth of a batch). An event whose stored id is not the key as parsed (a numeric id, one
    with spaces around it, a source column not its payload's) gets its ticket by a CASE."""
    if not settled:
        return
    by_key = Subquery(
        Ticket.objects.filter(
            source=OuterRef("source"), external_id=KeyTextTransform("id", KeyTransform("ticket", OuterRef("payload")))
        ).values("pk")[:1]
    )
    others = [
        When(pk=e.pk, then=Value(e.ticket_id))
        for e, d in settled
        if e.source != d.source or d.payload.get("ticket", {}).get("id") != d.ticket.external_id
    ]
    TicketEvent.objects.filter(pk__in=[e.pk for e, _d in settled]).update(
        status=status,
        applied_at=now if status == TicketEventStatus.APPLIED else None,
        ticket=Case(*others, default=by_key, output_field=BigIntegerField()) if others else by_key,
    )


def _apply_one(data: EventData, *, ctx: BatchContext, create_invitations: bool, now: datetime) -> Outcome:
    for attempt in range(1, _INTEGRITY_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return event_apply(data=data, ctx=ctx, create_invitations=create_invitations, now=now)
        except IntegrityError:
            # A concurrent worker inserted the same ticket, customer, agent or team (the unique
            # index made us wait until it committed): running again finds its rows.
            if attempt == _INTEGRITY_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _settle(event: TicketEvent, outcome, *, now: datetime, result: BatchResult) -> None:
    if isinstance(outcome, Outcome):
        event.ticket = outcome.ticket
        event.next_attempt_at = None
        event.last_error = ""
        if outcome.applied:
            event.status, event.applied_at = TicketEventStatus.APPLIED, now
            result.applied += 1
        else:
            event.status = TicketEventStatus.STALE
            result.stale += 1
        return
    event.attempts += 1
    if isinstance(outcome, DatabaseError) and db_error_is_transient(outcome):
        delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (event.attempts - 1))
        event.next_attempt_at = now + timedelta(seconds=delay)
        event.last_error = f"transient database error (retry in {delay} s): {outcome}"
        result.deferred += 1
        logger.warning("Ticket event %s deferred: %s", event.pk, outcome)
        return
    event.status = TicketEventStatus.FAILED
    if isinstance(outcome, PayloadInvalid):
        event.last_error = "; ".join(f"{k or 'event'}: {' '.join(map(str, v))}" for k, v in outcome.errors.items())
    else:
        event.last_error = f"{type(outcome).__name__}: {outcome}"
    result.failed += 1
    logger.warning("Ticket event %s failed to apply: %s", event.pk, event.last_error)


def events_apply_all(*, now: datetime | None = None, limit: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    """Apply stored, due events batch after batch until none is left (or ``max_batches``).
    Returns how many were claimed."""
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        result = events_apply_batch(limit=limit, now=now)
        if not result.claimed:
            break
        total += result.claimed
        batches += 1
    return total


def events_retry(*, ids: Iterable[int]) -> int:
    """Put failed (or deferred) events back to stored, due now, attempts reset: the admin's
    "retry" action. Returns how many."""
    return TicketEvent.objects.filter(pk__in=list(ids)).exclude(
        status__in=(TicketEventStatus.APPLIED, TicketEventStatus.STALE)
    ).update(status=TicketEventStatus.STORED, next_attempt_at=None, attempts=0, claim_token=None, claimed_at=None)
