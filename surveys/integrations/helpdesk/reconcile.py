"""The safety net behind the hooks: compare django-helpdesk's tickets with ours and record
whatever we missed (a QuerySet.update(), a failed hook, a process killed mid-save).

Change times come from django-helpdesk's own records, never from the ticket's ``modified``
(a QuerySet.update() leaves it behind, so a close dated by it came out 0 s after opening, or
days early): a status change is dated by the follow-up that set that status, another field's
change by the latest follow-up carrying ticket changes, both after the last event we applied;
with no such follow-up the sweep dates the change when it finds it."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import Ticket, TicketEventType, TicketStatus
from surveys.services.ticket_lifecycle import ticket_remove

from .events import CLOSING, REMOVED, SETTLED, event_id_for, first_response_at, priority_for, source
from .signals import ticket_event_send

CHUNK = 500


class _Ours(NamedTuple):
    status: str
    priority: str
    category: str
    subject: str
    reference: str
    agent: str | None
    first_response_at: datetime | None
    last_event_at: datetime | None


def _expected(helpdesk_status: int, ours: str | None) -> tuple[str, int | None] | None:
    """The event that brings our copy in line with the helpdesk's status, with the helpdesk
    status it implies we last saw, or None when they already agree."""
    if helpdesk_status in CLOSING:
        return None if ours == TicketStatus.CLOSED else (TicketEventType.CLOSED, None)
    if ours is None:
        return TicketEventType.OPENED, None
    if ours in (TicketStatus.CLOSED, TicketStatus.REMOVED):
        return TicketEventType.REOPENED, HelpdeskTicket.CLOSED_STATUS
    if helpdesk_status == HelpdeskTicket.RESOLVED_STATUS and ours == TicketStatus.OPEN:
        return TicketEventType.UPDATED, HelpdeskTicket.OPEN_STATUS
    if helpdesk_status not in SETTLED and ours == TicketStatus.RESOLVED:
        return TicketEventType.REOPENED, HelpdeskTicket.RESOLVED_STATUS
    return None


def _fields_differ(ticket: HelpdeskTicket, ours: _Ours) -> bool:
    """Whether a mapped field other than the status disagrees. The agent is compared only while
    the ticket is open: a closed ticket keeps the agent who closed it (credit does not move)."""
    agent = None if ticket.assigned_to_id is None else f"hd-user-{ticket.assigned_to_id}"
    return (
        (priority_for(ticket.priority), ticket.queue.slug, ticket.title, ticket.ticket_for_url)
        != (ours.priority, ours.category, ours.subject, ours.reference)
        or (ours.status != TicketStatus.CLOSED and agent != ours.agent)
        or (ours.first_response_at is None and first_response_at(ticket) is not None)
    )


def helpdesk_tickets_reconcile(*, since: datetime | None = None, hours: int = 48) -> int:
    """Record an event for every django-helpdesk ticket whose mapped fields our copy does not
    reflect: those modified since ``since`` (default: the last ``hours``), and — because
    ``QuerySet.update()`` leaves ``modified`` alone — every ticket we still hold open that the
    helpdesk has closed, merged as a duplicate or no longer has (removed here), however old.
    Idempotent. Returns how many events were stored and tickets removed."""
    since = since or timezone.now() - timedelta(hours=hours)
    stored = _reconcile(HelpdeskTicket.objects.filter(modified__gte=since))
    still_open = (
        Ticket.objects.filter(source=source())
        .exclude(status__in=[TicketStatus.CLOSED, TicketStatus.REMOVED])
        .values_list("external_id", flat=True)
    )
    for ids in _chunks(still_open.iterator(chunk_size=CHUNK)):
        numeric = {int(i) for i in ids if i.isdigit()}
        present = set(HelpdeskTicket.objects.filter(pk__in=numeric).values_list("pk", flat=True))
        for gone in sorted(numeric - present):  # deleted without a signal (raw SQL)
            stored += ticket_remove(source=source(), external_id=str(gone))
        stored += _reconcile(HelpdeskTicket.objects.filter(pk__in=present, status__in=CLOSING | {REMOVED}))
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


def _ours(chunk: list[HelpdeskTicket]) -> dict[str, _Ours]:
    found = Ticket.objects.filter(source=source(), external_id__in=[str(t.pk) for t in chunk]).values_list(
        "external_id", *_Ours._fields[:5], "agent__external_id", *_Ours._fields[6:]
    )
    return {row[0]: _Ours(*row[1:]) for row in found}


def _reconcile_chunk(chunk: list[HelpdeskTicket]) -> int:
    ours = _ours(chunk)
    now = timezone.now()
    stored = 0
    for ticket in chunk:
        copy = ours.get(str(ticket.pk))
        if ticket.status == REMOVED:
            if copy is not None and copy.status != TicketStatus.REMOVED:
                stored += ticket_remove(source=source(), external_id=str(ticket.pk), now=now)
            continue
        expected = _expected(ticket.status, copy.status if copy else None)
        if expected is None and (copy is None or not _fields_differ(ticket, copy)):
            continue
        event_type, old_status = expected or (TicketEventType.UPDATED, ticket.status)
        after = copy.last_event_at if copy else None
        occurred_at = _change_time(ticket, after=after) or now
        changed_at = _change_time(ticket, after=after, status=ticket.status) if expected else None
        stored += ticket_event_send(
            ticket=ticket,
            event_type=event_type,
            old_status=old_status,
            occurred_at=max(occurred_at, changed_at or occurred_at),
            changed_at=changed_at or occurred_at,
            # Its own ids: an event of the hook that was stored but not applied must not hide it.
            event_id=f"{event_id_for(ticket)}-sweep",
        )
    return stored


def _change_time(ticket: HelpdeskTicket, *, after: datetime | None, status: int | None = None):
    """The date of the latest follow-up after ``after`` that set ``status`` or, without a
    status, that changed anything (a new status or ticket changes); None when there is none."""
    followups = ticket.followup_set.all()
    if after is not None:
        followups = followups.filter(date__gt=after)
    if status is not None:
        followups = followups.filter(new_status=status)
    else:
        followups = followups.filter(Q(new_status__isnull=False) | Q(ticketchange__isnull=False))
    return followups.order_by("-date").values_list("date", flat=True).first()
