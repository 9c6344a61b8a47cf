"""Ticket events in: the Python API over storing and applying (docs/design.md flow 1).

Receivers (the webhook, other helpdesks' webhooks) call ``ticket_event_accept``: store only,
a worker applies it within seconds (``services/ticket_events.py``). In-process callers that
want the ticket at once (django-helpdesk's signals, the demo seeder, tests) call
``ticket_event_record``: the same store, then the same apply, synchronously.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..ingest.schema import PayloadInvalid, event_parse
from ..models import Invitation, Ticket, TicketEvent, TicketEventStatus
from .invitations import SurveyRequest
from .ticket_apply import BatchContext, event_apply
from .ticket_events import event_accept, event_from, events_store

_ATTEMPTS = 3


@dataclass(frozen=True)
class EventRecorded:
    """What ``ticket_event_record`` did.

    ``created`` is False for a duplicate (source, event_id): nothing changed. ``applied`` is
    False for a duplicate and for an event older than one already applied to its ticket (it is
    stored, linked to the ticket, but changes nothing). ``invitations`` are those written now.
    """

    event: TicketEvent
    created: bool
    applied: bool
    ticket: Ticket | None = None
    invitations: tuple[Invitation, ...] = ()


@dataclass(frozen=True)
class EventAccepted:
    """What ``ticket_event_accept`` did: ``created`` False for a redelivery."""

    event: TicketEvent
    created: bool


def ticket_event_accept(*, payload: Mapping[str, Any], decoded: bool = False) -> EventAccepted:
    """Validate and store one event for the workers to apply (within seconds: a nudge after the
    commit, and the beat sweep). Raises ``PayloadInvalid`` (nothing stored) for a bad field.
    Idempotent on (source, event_id). Database errors propagate (a receiver answers 503).
    ``decoded``: ``payload`` is decoded JSON, stored as it is (``event_parse``)."""
    event, created = event_accept(payload=payload, decoded=decoded)
    if created:
        from ..tasks.ingest import ticket_events_nudge  # tasks import services

        transaction.on_commit(ticket_events_nudge, robust=True)
    return EventAccepted(event=event, created=created)


def ticket_event_record(
    *,
    payload: Mapping[str, Any],
    create_invitations: bool = True,
    now: datetime | None = None,
    survey: SurveyRequest | None = None,
) -> EventRecorded:
    """Store one ticket event and apply it at once, in one transaction, in this process.

    ``payload`` has the webhook's shape (docs/api.md); datetimes may be ISO strings or aware
    ``datetime`` objects. All or nothing, as an in-process call should be: raises
    ``PayloadInvalid`` (nothing stored) when a field is bad or the event contradicts the ticket
    it updates. Idempotent on (source, event_id): a second delivery returns ``created=False``
    and writes nothing. Events apply in ``occurred_at`` order per ticket; an older one arriving
    late is stored (``stale``) but changes nothing. A close decides the invitations (unless
    ``create_invitations`` is False, for history imports); a reopen starts a new cycle and
    cancels the previous cycle's pending invitations. Due invitations are enqueued after the
    commit. ``survey`` (``SurveyRequest``) passes a caller's chosen campaign and delay on to the
    invitations of this close (the Delighted-compatible API). Database errors propagate.
    """
    data = event_parse(payload)
    now = now or timezone.now()
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _record(data, create_invitations=create_invitations, now=now, survey=survey)
        except IntegrityError:
            # A concurrent writer inserted the same ticket, customer, agent or team first.
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _record(data, *, create_invitations: bool, now: datetime, survey: SurveyRequest | None = None) -> EventRecorded:
    event = event_from(data)
    events_store([event])
    # Locked: a worker sweeping stored events cannot apply this one beside us.
    stored = TicketEvent.objects.select_for_update().get(source=data.source, event_id=data.event_id)
    if stored.received_at != event.received_at or stored.status != TicketEventStatus.STORED:
        return EventRecorded(event=stored, created=False, applied=False, ticket=stored.ticket)
    outcome = event_apply(
        data=data, ctx=BatchContext.load(), create_invitations=create_invitations, now=now, survey=survey
    )
    stored.ticket = outcome.ticket
    if outcome.applied:
        stored.status, stored.applied_at = TicketEventStatus.APPLIED, now
    else:
        stored.status = TicketEventStatus.STALE
    stored.save(update_fields=["ticket", "status", "applied_at"])
    return EventRecorded(
        event=stored,
        created=True,
        applied=outcome.applied,
        ticket=outcome.ticket,
        invitations=outcome.invitations,
    )


__all__ = ["EventAccepted", "EventRecorded", "PayloadInvalid", "ticket_event_accept", "ticket_event_record"]
