"""Ticket events in: the one service behind the webhook, the CSV import and the Python API.

Hundreds of events a second arrive at the webhook (bench/bench_dispatch.py), so an event is
a few precompiled statements (``surveys.rows``, tests/ingest/test_round_trips.py). Two
reads: the ticket (locked) with its SLA targets, the campaigns' fingerprint and the campaigns
that invited its cycle; then customer, agent and team with what the suppression rules need of
the customer's past. Then the writes: a new ticket's close for a new customer inserts the
customer, ticket, invitation and event; an existing ticket's close updates the ticket and
inserts invitation and event.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import rows
from ..bounds import seconds_problem
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
from .invitations import (
    CustomerHistory,
    SurveyRequest,
    campaign_fingerprint_sql,
    campaigns_active,
    customer_history,
    customer_history_sql,
    invitations_cancel_pending,
    invitations_create_for_ticket,
    invited_campaigns_sql,
)

# Ticket fields an event may set; an absent or null value leaves the ticket's own.
_PLAIN_FIELDS = ("subject", "reference", "category", "channel", "contact_count", "reopen_count", "is_complaint")
_TIMES = ("first_response_at", "resolved_at", "closed_at")
# The times whose distance from opened_at is stored in a 32-bit column (Ticket.set_durations).
_TIMED = ("first_response_at", "resolved_at")


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
    *,
    payload: Mapping[str, Any],
    create_invitations: bool = True,
    now: datetime | None = None,
    survey: SurveyRequest | None = None,
) -> EventRecorded:
    """Store one ticket event and apply it to its ticket, in one transaction.

    ``payload`` has the webhook's shape (docs/api.md); datetimes may be ISO strings or aware
    ``datetime`` objects. Raises ``PayloadInvalid`` (nothing written) when a field is bad or
    the event contradicts the ticket it updates. Idempotent on (source, event_id): a second
    delivery returns ``created=False`` and writes nothing. Events apply in ``occurred_at``
    order per ticket; an older one arriving late is stored but changes nothing. A close runs
    ``invitations_create_for_ticket`` (unless ``create_invitations`` is False, for history
    imports); a reopen starts a new cycle and cancels the previous cycle's pending invitations.
    ``survey`` (``SurveyRequest``) passes a caller's chosen campaign and delay on to the
    invitations of this close. Due invitations are enqueued after the commit. Database errors
    propagate: the caller (the webhook answers 503) lets the sender retry.
    """
    data = event_parse(payload)
    now = now or timezone.now()
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _record(data, create_invitations=create_invitations, now=now, survey=survey)
        except _Duplicate:
            existing = TicketEvent.objects.select_related("ticket").get(
                source=data.source, event_id=data.event_id
            )
            return EventRecorded(event=existing, created=False, applied=False, ticket=existing.ticket)
        except IntegrityError:
            # A concurrent event inserted the same ticket, customer, agent or team between our
            # lookup and our insert. Its transaction has committed (the unique index made us
            # wait for it), so running again finds and locks its rows. Inserts take no
            # savepoint: the common path stays six statements.
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


_ATTEMPTS = 3


class _Duplicate(Exception):
    """Internal: (source, event_id) is already stored; roll back whatever this call did."""


def _record(
    data: EventData, *, create_invitations: bool, now: datetime, survey: SurveyRequest | None = None
) -> EventRecorded:
    state = _ticket_state(data)
    ticket = state.ticket
    if ticket is not None and ticket.last_event_at is not None and data.occurred_at < ticket.last_event_at:
        event = _event_insert(data, ticket=ticket, applied_at=None)
        return EventRecorded(event=event, created=True, applied=False, ticket=ticket)

    people = _people(data, ticket)
    customer, customer_is_new = _customer_upsert(data.ticket.customer, people.customer)
    # A customer created now has no past; one found by the read above has the past it read; one
    # that a concurrent event created meanwhile is left to the invitation service to read.
    history = CustomerHistory() if customer_is_new else people.history
    is_new = ticket is None
    was_closed = ticket is not None and ticket.status == TicketStatus.CLOSED
    old_cycle = ticket.cycle if ticket is not None else 1
    ticket = _ticket_apply(data, ticket, customer, people, state)
    if ticket.cycle != old_cycle:
        invitations_cancel_pending(ticket=ticket)
    invitations: list[Invitation] = []
    # A second close of the same cycle (a new event id) may bring new campaigns, never twins.
    if (
        create_invitations
        and ticket.status == TicketStatus.CLOSED
        and (data.type == TicketEventType.CLOSED or not was_closed)
    ):
        invitations = invitations_create_for_ticket(
            ticket=ticket,
            now=now,
            campaigns=campaigns_active(fingerprint=state.campaign_fingerprint),
            history=history,
            invited=frozenset() if is_new or ticket.cycle != old_cycle else state.invited,
            survey=survey,
        )
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
        applied_at=applied_at,
    )
    if not rows.insert(event, on_conflict="(source, event_id) DO NOTHING"):
        raise _Duplicate
    return event


# --- Reads: two statements ------------------------------------------------------------------
@dataclass(frozen=True)
class _TicketState:
    ticket: Ticket | None
    campaign_fingerprint: str | None
    sla: tuple[int | None, int | None]
    invited: frozenset[int]  # campaigns that already invited the ticket's current cycle


@cache
def _ticket_state_sql(vendor: str) -> str:
    """The ticket, locked, with what is read anyway: the SLA targets of the event's priority,
    the active campaigns' fingerprint and the campaigns that invited the ticket's current
    cycle. The first two may be a moment old if the lock had to wait, which is the same as the
    event arriving a moment earlier; the last is the ticket's own, so the lock keeps it current."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    ticket, sla = rows.quote(Ticket._meta.db_table), rows.quote(SLAPolicy._meta.db_table)
    return (
        f"SELECT ({campaign_fingerprint_sql()}), s.first_response_target_s, s.resolution_target_s, "  # noqa: S608
        f"{invited_campaigns_sql('t')}, {rows.columns(Ticket, 't')} FROM (SELECT 1 AS one) AS o "
        f"LEFT JOIN {sla} AS s ON s.priority = %s "
        f"LEFT JOIN (SELECT {rows.columns(Ticket)} FROM {ticket} "
        f"WHERE source = %s AND external_id = %s{lock}) AS t ON 1 = 1"
    )


def _ticket_state(data: EventData) -> _TicketState:
    # The row lock makes concurrent events of one ticket apply one after the other.
    (row,) = rows.fetch(
        _ticket_state_sql(connection.vendor),
        [data.ticket.priority or Priority.NORMAL, data.source, data.ticket.external_id],
    )
    ticket = rows.instance(Ticket, row[4:]) if row[4] is not None else None
    invited = frozenset(int(pk) for pk in row[3].split(",")) if row[3] else frozenset()
    return _TicketState(ticket=ticket, campaign_fingerprint=row[0], sla=(row[1], row[2]), invited=invited)


@dataclass(frozen=True)
class _People:
    """What the database holds for the event's customer, agent and team. Read after the ticket
    lock, so a concurrent event of the same ticket has committed its own changes by then."""

    customer: Customer | None
    agent_id: int | None = None
    agent_name: str = ""
    agent_email: str = ""
    agent_team_id: int | None = None
    agent_team_name: str | None = None
    team_id: int | None = None  # the team the event names
    history: CustomerHistory | None = None  # the customer's, as the suppression rules need it


@cache
def _people_sql(vendor: str, customer_by: str, agent_by: str, team: bool) -> str:
    customer_t, agent_t = rows.quote(Customer._meta.db_table), rows.quote(Agent._meta.db_table)
    team_t = rows.quote(Team._meta.db_table)
    customer_where = {
        "email": "LOWER(email) = LOWER(%s)",  # the customer_email_ci_unique index
        "external_id": "external_id = %s",
        "": "1 = 0",
    }[customer_by]
    agent_where = {
        # "<> ''" lets PostgreSQL use the partial unique index agent_external_id_unique.
        "external_id": "external_id = %s AND external_id <> ''",
        "email": "external_id = '' AND LOWER(email) = LOWER(%s)",
        "": "1 = 0",
    }[agent_by]
    team_join = (
        f"LEFT JOIN {team_t} AS tm ON tm.name = %s"
        if team
        else "LEFT JOIN (SELECT NULL AS id) AS tm ON 1 = 1"
    )
    return (
        f"SELECT a.id, a.name, a.email, a.team_id, at.name, tm.id, {customer_history_sql('c.id')}, "  # noqa: S608
        f"{rows.columns(Customer, 'c')} "
        "FROM (SELECT 1 AS one) AS o "
        f"LEFT JOIN (SELECT {rows.columns(Customer)} FROM {customer_t} WHERE {customer_where} "
        "ORDER BY id LIMIT 1) AS c ON 1 = 1 "
        f"LEFT JOIN (SELECT id, name, email, team_id FROM {agent_t} WHERE {agent_where} "
        "ORDER BY id LIMIT 1) AS a ON 1 = 1 "
        f"LEFT JOIN {team_t} AS at ON at.id = a.team_id "
        f"{team_join}"
    )


def _people(data: EventData, ticket: Ticket | None) -> _People:
    customer, agent = data.ticket.customer, data.ticket.agent
    customer_by = "email" if customer.email else "external_id" if customer.external_id else ""
    params = [ticket.pk if ticket is not None else None]  # the history's "another ticket"
    if customer_by:
        params.append(customer.email or customer.external_id)
    agent_by = ""
    if agent is not None:
        agent_by = "external_id" if agent.external_id else "email"
        params.append(agent.external_id or agent.email)
    if agent is not None and agent.team:
        params.append(agent.team)
    sql = _people_sql(connection.vendor, customer_by, agent_by, agent is not None and bool(agent.team))
    (row,) = rows.fetch(sql, params)
    found = row[8] is not None
    return _People(
        customer=rows.instance(Customer, row[8:]) if found else None,
        history=customer_history(row[6], row[7]) if found else None,
        agent_id=row[0],
        agent_name=row[1] or "",
        agent_email=row[2] or "",
        agent_team_id=row[3],
        agent_team_name=row[4],
        team_id=row[5],
    )


# --- Writes ---------------------------------------------------------------------------------
def _customer_upsert(data: CustomerData, found: Customer | None) -> tuple[Customer, bool]:
    """The customer found by email (any case), else by the helpdesk's id, refreshed; or a new
    one. Returns (customer, created)."""
    customer = found
    if customer is None:
        customer = Customer(
            email=data.email or None,
            external_id=data.external_id,
            name=data.name or "",
            locale=data.locale or Language.EN,
            segment=data.segment or "",
        )
        if not data.email:
            rows.insert(customer)
            return customer, True
        # A concurrent event may be inserting the same address: wait for it, then use its row.
        if rows.insert(customer, on_conflict="((LOWER(email))) DO NOTHING"):
            return customer, True
        customer = _customer_by_email(data)
    changed = []
    for name in ("name", "locale", "segment", "external_id"):
        value = getattr(data, name)
        if value and value != getattr(customer, name) and customer.erased_at is None:
            setattr(customer, name, value)
            changed.append(name)
    if changed:
        rows.update(customer, changed)
    return customer, False


def _customer_by_email(data: CustomerData) -> Customer:
    table = rows.quote(Customer._meta.db_table)
    found = rows.fetch(
        f"SELECT {rows.columns(Customer)} FROM {table} WHERE LOWER(email) = LOWER(%s)",  # noqa: S608
        [data.email],
    )
    if not found:  # inserted and deleted again meanwhile: run the whole event again
        raise IntegrityError("a customer row changed during the event")
    return rows.instance(Customer, found[0])


def _team_id(name: str, found: int | None) -> int | None:
    if not name or found is not None:
        return found
    team = Team(name=name)
    if rows.insert(team, on_conflict="(name) DO NOTHING"):
        return team.pk
    (row,) = rows.fetch(f"SELECT id FROM {rows.quote(Team._meta.db_table)} WHERE name = %s", [name])  # noqa: S608
    return row[0]


def _agent_upsert(data: AgentData, people: _People) -> tuple[int, int | None]:
    """Find the agent by the helpdesk's id, else by email; keep its name and team current.
    Returns (agent id, the agent's team id)."""
    if people.agent_id is None:
        agent = Agent(
            external_id=data.external_id,
            name=data.name,
            email=data.email,
            team_id=_team_id(data.team, people.team_id),
        )
        rows.insert(agent)
        return agent.pk, agent.team_id
    agent = Agent(
        pk=people.agent_id, name=people.agent_name, email=people.agent_email, team_id=people.agent_team_id
    )
    changed = []
    for name in ("name", "email"):
        value = getattr(data, name)
        if value and value != getattr(agent, name):
            setattr(agent, name, value)
            changed.append(name)
    if data.team and people.agent_team_name != data.team:
        agent.team_id = _team_id(data.team, people.team_id)
        changed.append("team")
    if changed:
        rows.update(agent, changed)
    return agent.pk, agent.team_id


def _ticket_apply(
    data: EventData, ticket: Ticket | None, customer: Customer, people: _People, state: _TicketState
) -> Ticket:
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
        ticket.agent_id, ticket.team_id = _agent_upsert(t.agent, people)

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
        # Copied, not linked: editing a policy later does not rewrite history.
        ticket.sla_response_target_s, ticket.sla_resolution_target_s = state.sla
    ticket.last_event_at = data.occurred_at
    ticket.set_durations()  # what Ticket.save() does before writing
    if is_new:
        rows.insert(ticket)  # a concurrent first event of this ticket: IntegrityError, run again
    else:
        rows.update(ticket)
    return ticket


def _ticket_check(ticket: Ticket) -> None:
    """The database constraints and column ranges, checked first so a contradiction is a 400,
    not a 500 (nor a 503 the sender would retry forever)."""
    errors = {}
    for name in _TIMES:
        value = getattr(ticket, name)
        if value is not None and value < ticket.opened_at:
            errors[f"ticket.{name}"] = [
                _("Cannot be earlier than opened_at (%(opened)s).") % {"opened": ticket.opened_at.isoformat()}
            ]
        elif value is not None and name in _TIMED and (
            problem := seconds_problem(int((value - ticket.opened_at).total_seconds()))
        ):
            # The stored opened_at may be an earlier event's: the pair is only checkable here.
            errors[f"ticket.{name}"] = [problem]
    if errors:
        raise PayloadInvalid(errors)
