"""Ticket events in: the one service behind the webhook, the CSV import and the Python API."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..ingest.schema import AgentData, CustomerData, EventData, PayloadInvalid, event_parse
from ..models import (
    Agent,
    Customer,
    Invitation,
    Language,
    Priority,
    SLAPolicy,
    Team,
    Ticket,
    TicketEvent,
    TicketEventType,
    TicketStatus,
)
from .invitations import invitations_cancel_pending, invitations_create_for_ticket

# Ticket fields an event may set; an absent or null value leaves the ticket's own.
_PLAIN_FIELDS = ("subject", "category", "channel", "contact_count", "reopen_count", "is_complaint")
_TIMES = ("first_response_at", "resolved_at", "closed_at")


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


def ticket_event_record(
    *, payload: Mapping[str, Any], create_invitations: bool = True, now: datetime | None = None
) -> EventRecorded:
    """Store one ticket event and apply it to its ticket, in one transaction.

    ``payload`` has the webhook's shape (docs/api.md); datetimes may be ISO strings or aware
    ``datetime`` objects. Raises ``PayloadInvalid`` (nothing written) when a field is bad or
    the event contradicts the ticket it updates. Idempotent on (source, event_id): a second
    delivery returns ``created=False`` and writes nothing. Events apply in ``occurred_at``
    order per ticket; an older one arriving late is stored but changes nothing. A close runs
    ``invitations_create_for_ticket`` (unless ``create_invitations`` is False, for history
    imports); a reopen starts a new cycle and cancels the previous cycle's pending invitations.
    Due invitations are enqueued after the commit. Database errors propagate: the caller
    (the webhook answers 503) lets the sender retry.
    """
    data = event_parse(payload)
    now = now or timezone.now()
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _record(data, create_invitations=create_invitations, now=now)
        except _Duplicate:
            existing = TicketEvent.objects.select_related("ticket").get(
                source=data.source, event_id=data.event_id
            )
            return EventRecorded(event=existing, created=False, applied=False, ticket=existing.ticket)
        except IntegrityError:
            # A concurrent event inserted the same ticket, customer, agent or team between our
            # lookup and our insert. Its transaction has committed (the unique index made us
            # wait for it), so running again finds and locks its rows. Inserts take no
            # savepoint: the common path stays a dozen round trips.
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


_ATTEMPTS = 3


class _Duplicate(Exception):
    """Internal: (source, event_id) is already stored; roll back whatever this call did."""


def _record(data: EventData, *, create_invitations: bool, now: datetime) -> EventRecorded:
    ticket = _ticket_locked(data)
    if ticket is not None and ticket.last_event_at is not None and data.occurred_at < ticket.last_event_at:
        event = _event_insert(data, ticket=ticket, applied_at=None)
        return EventRecorded(event=event, created=True, applied=False, ticket=ticket)

    customer = _customer_upsert(data.ticket.customer)
    was_closed = ticket is not None and ticket.status == TicketStatus.CLOSED
    old_cycle = ticket.cycle if ticket is not None else 1
    ticket = _ticket_apply(data, ticket, customer)
    if ticket.cycle != old_cycle:
        invitations_cancel_pending(ticket=ticket)
    invitations: list[Invitation] = []
    # A second close of the same cycle (a new event id) may bring new campaigns, never twins.
    if (
        create_invitations
        and ticket.status == TicketStatus.CLOSED
        and (data.type == TicketEventType.CLOSED or not was_closed)
    ):
        invitations = invitations_create_for_ticket(ticket=ticket, now=now)
    # Inserted last, so one statement both detects a duplicate and records the outcome; a
    # duplicate rolls back the work above (and the invitations' on-commit enqueues with it).
    event = _event_insert(data, ticket=ticket, applied_at=now)
    return EventRecorded(
        event=event, created=True, applied=True, ticket=ticket, invitations=tuple(invitations)
    )


def _event_insert(data: EventData, *, ticket: Ticket, applied_at: datetime | None) -> TicketEvent:
    """INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite): a duplicate costs no error and no
    savepoint. Raises _Duplicate when (source, event_id) is already stored."""
    event = TicketEvent(
        source=data.source,
        event_id=data.event_id,
        type=data.type,
        occurred_at=data.occurred_at,
        ticket=ticket,
        payload=data.payload,
        received_at=timezone.now(),
        applied_at=applied_at,
    )
    meta = TicketEvent._meta
    fields = [meta.get_field(name) for name in _EVENT_COLUMNS]
    qn = connection.ops.quote_name
    # Identifiers come from the model's metadata, never from input; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}, {}) DO NOTHING RETURNING {}".format(  # noqa: S608
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        qn("source"),
        qn("event_id"),
        qn(meta.pk.column),
    )
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise _Duplicate
    event.pk = row[0]
    event._state.adding = False
    return event


_EVENT_COLUMNS = (
    "source",
    "event_id",
    "type",
    "occurred_at",
    "ticket",
    "payload",
    "received_at",
    "applied_at",
)


def _ticket_locked(data: EventData) -> Ticket | None:
    # The row lock makes concurrent events of one ticket apply one after the other.
    rows = Ticket.objects.select_for_update().filter(source=data.source, external_id=data.ticket.external_id)
    return next(iter(rows), None)


def _customer_upsert(data: CustomerData) -> Customer:
    """Find the customer by email (any case), else by the helpdesk's id; create or refresh it."""
    customer = None
    if data.email:
        customer = (
            Customer.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower=data.email.lower())
            .first()
        )
    elif data.external_id:
        customer = Customer.objects.filter(external_id=data.external_id).order_by("pk").first()
    if customer is None:
        fields = {
            "external_id": data.external_id,
            "name": data.name or "",
            "locale": data.locale or Language.EN,
            "segment": data.segment or "",
        }
        return Customer.objects.create(email=data.email or None, **fields)
    changed = []
    for name in ("name", "locale", "segment", "external_id"):
        value = getattr(data, name)
        if value and value != getattr(customer, name) and customer.erased_at is None:
            setattr(customer, name, value)
            changed.append(name)
    if changed:
        customer.save(update_fields=changed)
    return customer


def _team(name: str) -> Team | None:
    if not name:
        return None
    return Team.objects.filter(name=name).first() or Team.objects.create(name=name)


def _agent_upsert(data: AgentData) -> Agent:
    """Find the agent by the helpdesk's id, else by email; keep its name and team current."""
    agents = Agent.objects.select_related("team")
    if data.external_id:
        agent = agents.filter(external_id=data.external_id).first()
    else:
        agent = agents.filter(external_id="", email__iexact=data.email).order_by("pk").first()
    if agent is None:
        return Agent.objects.create(
            external_id=data.external_id, name=data.name, email=data.email, team=_team(data.team)
        )
    changed = []
    for name in ("name", "email"):
        value = getattr(data, name)
        if value and value != getattr(agent, name):
            setattr(agent, name, value)
            changed.append(name)
    if data.team and (agent.team is None or agent.team.name != data.team):
        agent.team = _team(data.team)
        changed.append("team")
    if changed:
        agent.save(update_fields=changed)
    return agent


def _sla_copy(ticket: Ticket) -> None:
    policy = SLAPolicy.objects.filter(priority=ticket.priority).first()
    ticket.sla_response_target_s = policy.first_response_target_s if policy else None
    ticket.sla_resolution_target_s = policy.resolution_target_s if policy else None


def _ticket_apply(data: EventData, ticket: Ticket | None, customer: Customer) -> Ticket:
    """Merge the event into the (locked) ticket, or create it, and save."""
    t = data.ticket
    is_new = ticket is None
    if is_new:
        given = [getattr(t, name) for name in ("opened_at", *_TIMES) if getattr(t, name) is not None]
        ticket = Ticket(
            source=data.source,
            external_id=t.external_id,
            opened_at=t.opened_at or min([data.occurred_at, *given]),
            status=TicketStatus.OPEN,
        )
    old_priority = None if is_new else ticket.priority
    ticket.customer = customer
    for name in _PLAIN_FIELDS:
        value = getattr(t, name)
        if value is not None:
            setattr(ticket, name, value)
    if t.priority is not None:
        ticket.priority = t.priority
    elif is_new:
        ticket.priority = Priority.NORMAL
    if t.opened_at is not None:
        ticket.opened_at = t.opened_at
    # Once closed, the ticket keeps the agent and team who closed it: credit does not move.
    if t.agent is not None and not (
        ticket.status == TicketStatus.CLOSED and data.type == TicketEventType.UPDATED
    ):
        ticket.agent = _agent_upsert(t.agent)
        ticket.team = ticket.agent.team

    reopening = data.type in (TicketEventType.REOPENED, TicketEventType.OPENED) and ticket.status in (
        TicketStatus.CLOSED,
        TicketStatus.RESOLVED,
    )
    if reopening and not is_new:
        ticket.cycle += 1
        ticket.reopen_count = t.reopen_count if t.reopen_count is not None else ticket.reopen_count + 1
        ticket.resolved_at = None
        ticket.closed_at = None
    for name in _TIMES:
        value = getattr(t, name)
        if value is not None:
            setattr(ticket, name, value)

    if data.type == TicketEventType.CLOSED:
        ticket.status = TicketStatus.CLOSED
    elif data.type in (TicketEventType.OPENED, TicketEventType.REOPENED):
        ticket.status = TicketStatus.OPEN
    elif ticket.status == TicketStatus.OPEN and ticket.resolved_at is not None:
        ticket.status = TicketStatus.RESOLVED
    _ticket_check(ticket)
    if is_new or ticket.priority != old_priority:
        _sla_copy(ticket)
    ticket.last_event_at = data.occurred_at
    ticket.save(force_insert=is_new)
    return ticket


def _ticket_check(ticket: Ticket) -> None:
    """The database constraints, checked first so a contradiction is a 400, not a 500."""
    errors = {}
    for name in _TIMES:
        value = getattr(ticket, name)
        if value is not None and value < ticket.opened_at:
            errors[f"ticket.{name}"] = [
                _("Cannot be earlier than opened_at (%(opened)s).") % {"opened": ticket.opened_at.isoformat()}
            ]
    if errors:
        raise PayloadInvalid(errors)
