"""A django-helpdesk ticket as a ticket event payload (the webhook's shape), and the mapping
rules: which changes make an event, priorities, team, customer, first response."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from helpdesk.decorators import is_helpdesk_staff
from helpdesk.models import FollowUp
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import TicketEventType

CLOSING = frozenset({HelpdeskTicket.CLOSED_STATUS})
# A duplicate (merged into another ticket) is not a resolution: our copy leaves the figures.
REMOVED = HelpdeskTicket.DUPLICATE_STATUS
SETTLED = CLOSING | {HelpdeskTicket.RESOLVED_STATUS, REMOVED}
# django-helpdesk's priorities run 1 (critical) to 5 (very low).
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}
# The creating form writes its "Ticket Opened" follow-up a moment after the ticket.
OPENING_FOLLOWUP_WITHIN = timedelta(seconds=60)
FIRST_RESPONSE_CANDIDATES = 20


def source() -> str:
    return getattr(settings, "HELPDESK_SOURCE", "django-helpdesk")


def priority_for(value) -> str:
    """Our priority for django-helpdesk's: its forms leave it on the instance as the string they
    posted ("1".."5"), the database gives an int; anything else is normal."""
    try:
        return PRIORITIES.get(int(value), "normal")
    except (TypeError, ValueError):
        return "normal"


def team_for(queue) -> str:
    """The team a queue's agents work in: ``HELPDESK_QUEUE_TEAMS[slug]`` when set, else the
    queue's title."""
    return getattr(settings, "HELPDESK_QUEUE_TEAMS", {}).get(queue.slug, queue.title)[:100]


class Mapped(NamedTuple):
    """The fields of a django-helpdesk ticket that our copy reflects; any change is an event."""

    status: int
    priority: str
    queue_id: int | None
    title: str
    assignee_id: int | None


def mapped(ticket: HelpdeskTicket) -> Mapped:
    return Mapped(
        int(ticket.status),
        priority_for(ticket.priority),
        ticket.queue_id,
        ticket.title,
        ticket.assigned_to_id,
    )


def event_type_for(old_status: int | None, new_status: int) -> str | None:
    """The event a status change means, or None when the status did not change in a way a
    survey cares about (other fields may still make an update). ``old_status`` is None for a
    ticket just created. A change to Duplicate is not an event: the copy is removed."""
    if old_status is None:
        if new_status in CLOSING:
            return TicketEventType.CLOSED
        return (
            TicketEventType.UPDATED
            if new_status == HelpdeskTicket.RESOLVED_STATUS
            else TicketEventType.OPENED
        )
    if old_status == new_status or new_status == REMOVED:
        return None
    if new_status in CLOSING:
        return TicketEventType.CLOSED
    if old_status in SETTLED and new_status not in SETTLED:
        return TicketEventType.REOPENED
    return TicketEventType.UPDATED


def change_for(old: Mapped | None, new: Mapped) -> str | None:
    """The event one save of a ticket makes: the status change's, else an update when any other
    mapped field changed, else None."""
    event_type = event_type_for(None if old is None else old.status, new.status)
    if event_type is None and old is not None and old != new and new.status != REMOVED:
        return TicketEventType.UPDATED
    return event_type


def event_id_for(ticket: HelpdeskTicket) -> str:
    """The same save of the same ticket always gets the same id, so the post_save handler and
    the reconcile sweep can both report it and the second is a harmless duplicate."""
    return f"hd-{ticket.pk}-{ticket.status}-{_moment(ticket).isoformat()}"


def _moment(ticket: HelpdeskTicket):
    return ticket.modified or timezone.now()


def payload_for(
    ticket: HelpdeskTicket,
    *,
    event_type: str,
    old_status: int | None,
    occurred_at: datetime | None = None,
    changed_at: datetime | None = None,
    event_id: str | None = None,
) -> dict:
    """The event for the ticket as it is now. ``occurred_at`` (default: ``modified``) orders the
    event; ``changed_at`` (default: ``occurred_at``) is when the status changed, the resolution
    and closing time."""
    occurred_at = occurred_at or _moment(ticket)
    changed_at = changed_at or occurred_at
    opened_at = min(ticket.created or changed_at, changed_at)
    body = {
        "id": str(ticket.pk),
        "reference": ticket.ticket_for_url,
        "subject": ticket.title,
        "priority": priority_for(ticket.priority),
        "category": ticket.queue.slug,
        "channel": "helpdesk",
        "opened_at": opened_at,
        "first_response_at": first_response_at(ticket),
        "customer": _customer(ticket),
        "agent": _agent(ticket.assigned_to, ticket.queue),
    }
    if ticket.status == HelpdeskTicket.RESOLVED_STATUS and old_status != ticket.status:
        body["resolved_at"] = changed_at
    if event_type == TicketEventType.CLOSED:
        body["closed_at"] = changed_at
        if old_status != HelpdeskTicket.RESOLVED_STATUS:
            body["resolved_at"] = changed_at  # closed straight from open: resolved then too
    return {
        "event_id": event_id or event_id_for(ticket),
        "source": source(),
        "type": event_type,
        "occurred_at": occurred_at,
        "ticket": body,
    }


def is_opening_followup(followup: FollowUp) -> bool:
    """The follow-up django-helpdesk's creating form writes ("Ticket Opened", public, by the
    staff member who typed the ticket in): the ticket's first, changing no status, a moment
    after the ticket was created.
    It records the customer's request, not an answer to it."""
    ticket = followup.ticket
    if followup.new_status is not None or followup.date - ticket.created > OPENING_FOLLOWUP_WITHIN:
        return False
    return ticket.followup_set.order_by("date", "pk").values_list("pk", flat=True).first() == followup.pk


def is_response(followup: FollowUp) -> bool:
    """A first-response candidate: public, written by a helpdesk staff member (django-helpdesk's
    own test) who is not the submitter, and not the creating form's follow-up."""
    user, ticket = followup.user, followup.ticket
    if not followup.public or user is None or not is_helpdesk_staff(user):
        return False
    if ticket.submitter_email and (user.email or "").lower() == ticket.submitter_email.lower():
        return False
    return not is_opening_followup(followup)


def first_response_at(ticket: HelpdeskTicket) -> datetime | None:
    """When the first response (``is_response``) to the ticket was written, or None."""
    if ticket.pk is None or ticket.created is None:
        return None
    candidates = (
        ticket.followup_set.filter(public=True, user__isnull=False, date__gte=ticket.created)
        .select_related("user")
        .order_by("date", "pk")[:FIRST_RESPONSE_CANDIDATES]
    )
    for followup in candidates:
        followup.ticket = ticket  # spare a query per candidate
        if is_response(followup):
            return followup.date
    return None


def _customer(ticket: HelpdeskTicket) -> dict:
    address = (ticket.submitter_email or "").strip()
    if not address:
        return {"id": f"hd-submitter-of-{ticket.pk}"}  # no address: recorded, never surveyed
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True)[:2])
    if any(is_helpdesk_staff(user) for user in users):
        # django-helpdesk pre-fills the staff member's own address: never survey the team.
        return {"id": f"hd-submitter-of-{ticket.pk}"}
    name = users[0].get_full_name() if len(users) == 1 else ""
    return {"email": address, "name": name[:200] or None}


def _agent(user, queue) -> dict | None:
    if user is None:
        return None
    return {
        "id": f"hd-user-{user.pk}",
        "name": (user.get_full_name() or user.get_username())[:200],
        "email": user.email or None,
        "team": team_for(queue),
    }
