"""The safety net behind the post_save hook: compare django-helpdesk's tickets with ours and
record whatever we missed (a QuerySet.update(), a failed hook, a process killed mid-save)."""

from datetime import datetime, timedelta

from django.utils import timezone
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import Ticket, TicketEventType, TicketStatus

from .events import CLOSING, SETTLED, source
from .signals import ticket_event_send

CHUNK = 500


def _expected(helpdesk_status: int, ours: str | None) -> tuple[str, int | None] | None:
    """The event that brings our copy in line with the helpdesk's status, with the helpdesk
    status it implies we last saw, or None when they already agree."""
    if helpdesk_status in CLOSING:
        return None if ours == TicketStatus.CLOSED else (TicketEventType.CLOSED, None)
    if ours is None:
        return TicketEventType.OPENED, None
    if ours == TicketStatus.CLOSED:
        return TicketEventType.REOPENED, HelpdeskTicket.CLOSED_STATUS
    if helpdesk_status == HelpdeskTicket.RESOLVED_STATUS and ours == TicketStatus.OPEN:
        return TicketEventType.UPDATED, HelpdeskTicket.OPEN_STATUS
    if helpdesk_status not in SETTLED and ours == TicketStatus.RESOLVED:
        return TicketEventType.REOPENED, HelpdeskTicket.RESOLVED_STATUS
    return None


def helpdesk_tickets_reconcile(*, since: datetime | None = None, hours: int = 48) -> int:
    """Record an event for every django-helpdesk ticket whose status our copy does not reflect:
    those modified since ``since`` (default: the last ``hours``), and — because
    ``QuerySet.update()`` leaves ``modified`` alone — every ticket we still hold open that the
    helpdesk has closed, however old. Idempotent: the events carry the ids the post_save hook
    would have used. Returns how many events were stored."""
    since = since or timezone.now() - timedelta(hours=hours)
    recent = HelpdeskTicket.objects.filter(modified__gte=since)
    stored = _reconcile(recent)
    still_open = (
        Ticket.objects.filter(source=source())
        .exclude(status=TicketStatus.CLOSED)
        .values_list("external_id", flat=True)
    )
    for ids in _chunks(still_open.iterator(chunk_size=CHUNK)):
        numeric = [int(i) for i in ids if i.isdigit()]
        stored += _reconcile(HelpdeskTicket.objects.filter(pk__in=numeric, status__in=CLOSING))
    return stored


def _chunks(iterable):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reconcile(tickets) -> int:
    tickets = tickets.select_related("queue", "assigned_to").order_by("pk")
    return sum(_reconcile_chunk(chunk) for chunk in _chunks(tickets.iterator(chunk_size=CHUNK)))


def _reconcile_chunk(chunk: list[HelpdeskTicket]) -> int:
    ours = {
        external_id: (status, last_event_at)
        for external_id, status, last_event_at in Ticket.objects.filter(
            source=source(), external_id__in=[str(t.pk) for t in chunk]
        ).values_list("external_id", "status", "last_event_at")
    }
    now = timezone.now()
    stored = 0
    for ticket in chunk:
        status, last_event_at = ours.get(str(ticket.pk), (None, None))
        expected = _expected(ticket.status, status)
        if expected is None:
            continue
        event_type, old_status = expected
        # QuerySet.update() leaves `modified` behind; the change we missed came after the last
        # event we applied, so date it now rather than have it ignored as stale.
        occurred_at = None
        if last_event_at is not None and ticket.modified is not None and ticket.modified <= last_event_at:
            occurred_at = now
        stored += ticket_event_send(
            ticket=ticket, event_type=event_type, old_status=old_status, occurred_at=occurred_at
        )
    return stored
