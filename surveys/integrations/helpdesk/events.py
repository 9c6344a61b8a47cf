"""A django-helpdesk ticket as a ticket event payload (the webhook's shape)."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import TicketEventType

CLOSING = frozenset({HelpdeskTicket.CLOSED_STATUS, HelpdeskTicket.DUPLICATE_STATUS})
SETTLED = CLOSING | {HelpdeskTicket.RESOLVED_STATUS}
# django-helpdesk's priorities run 1 (critical) to 5 (very low).
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}


def source() -> str:
    return getattr(settings, "HELPDESK_SOURCE", "django-helpdesk")


def event_type_for(old_status: int | None, new_status: int) -> str | None:
    """The event a status change means, or None when nothing a survey cares about changed.
    ``old_status`` is None for a ticket just created."""
    if old_status is None:
        if new_status in CLOSING:
            return TicketEventType.CLOSED
        return (
            TicketEventType.UPDATED
            if new_status == HelpdeskTicket.RESOLVED_STATUS
            else TicketEventType.OPENED
        )
    if old_status == new_status or (old_status in CLOSING and new_status in CLOSING):
        return None
    if new_status in CLOSING:
        return TicketEventType.CLOSED
    if old_status in SETTLED and new_status not in SETTLED:
        return TicketEventType.REOPENED
    return TicketEventType.UPDATED


def event_id_for(ticket: HelpdeskTicket) -> str:
    """The same save of the same ticket always gets the same id, so the post_save handler and
    the reconcile sweep can both report it and the second is a harmless duplicate."""
    return f"hd-{ticket.pk}-{ticket.status}-{_moment(ticket).isoformat()}"


def _moment(ticket: HelpdeskTicket):
    return ticket.modified or timezone.now()


def payload_for(
    ticket: HelpdeskTicket, *, event_type: str, old_status: int | None, occurred_at: datetime | None = None
) -> dict:
    occurred_at = occurred_at or _moment(ticket)
    opened_at = min(ticket.created or occurred_at, occurred_at)
    body = {
        "id": str(ticket.pk),
        "subject": ticket.title,
        "priority": PRIORITIES.get(ticket.priority, "normal"),
        "category": ticket.queue.slug,
        "channel": "helpdesk",
        "opened_at": opened_at,
        "first_response_at": _first_response_at(ticket, opened_at),
        "customer": _customer(ticket),
        "agent": _agent(ticket.assigned_to),
    }
    if ticket.status == HelpdeskTicket.RESOLVED_STATUS and old_status != ticket.status:
        body["resolved_at"] = occurred_at
    if event_type == TicketEventType.CLOSED:
        body["closed_at"] = occurred_at
        if old_status != HelpdeskTicket.RESOLVED_STATUS:
            body["resolved_at"] = occurred_at  # closed straight from open: resolved then too
    return {
        "event_id": event_id_for(ticket),
        "source": source(),
        "type": event_type,
        "occurred_at": occurred_at,
        "ticket": body,
    }


def _first_response_at(ticket: HelpdeskTicket, opened_at):
    # The first public follow-up written by a staff user is the first response.
    first = (
        ticket.followup_set.filter(user__isnull=False, public=True, date__gte=opened_at)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    return first


def _customer(ticket: HelpdeskTicket) -> dict:
    if ticket.submitter_email:
        return {"email": ticket.submitter_email}
    return {"id": f"hd-submitter-of-{ticket.pk}"}  # no address: recorded, never surveyed


def _agent(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": f"hd-user-{user.pk}",
        "name": (user.get_full_name() or user.get_username())[:200],
        "email": user.email or None,
    }
