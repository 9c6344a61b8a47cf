"""Applying one stored ticket event to its ticket, with the ORM (docs/design.md flow 1).

Called by the batch service (``ticket_events.py``) inside its transaction, with the event
claimed. The ticket row is locked first (``select_for_update``), so two workers applying
events of one ticket run one after the other; events apply in ``occurred_at`` order, and one
older than what its ticket already shows is stale: it changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from ..bounds import seconds_problem
from ..ingest.schema import AgentData, CustomerData, EventData, PayloadInvalid
from ..models import (
    Agent,
    Campaign,
    Customer,
    Invitation,
    Language,
    Priority,
    SLAPolicy,
    Team,
    Ticket,
    TicketEventType,
    TicketStatus,
)
from .invitations import (
    CustomerHistory,
    SurveyRequest,
    invitations_cancel_pending,
    invitations_create_for_ticket,
)

# Ticket fields an event may set; an absent or null value leaves the ticket's own.
_PLAIN_FIELDS = ("subject", "reference", "category", "channel", "contact_count", "reopen_count", "is_complaint")
_TIMES = ("first_response_at", "resolved_at", "closed_at")
# The times whose distance from opened_at is stored in a 32-bit column (Ticket.set_durations).
_TIMED = ("first_response_at", "resolved_at")


@dataclass
class BatchContext:
    """What a batch reads once for all its events: the active campaigns and the SLA targets."""

    campaigns: list[Campaign]
    sla: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "BatchContext":
        from .invitations import campaigns_active

        sla = {
            p.priority: (p.first_response_target_s, p.resolution_target_s) for p in SLAPolicy.objects.all()
        }
        return cls(campaigns=campaigns_active(), sla=sla)


@dataclass(frozen=True)
class Outcome:
    """What applying one event did: ``applied`` False for a stale event."""

    ticket: Ticket | None
    applied: bool
    invitations: tuple[Invitation, ...] = ()


def event_apply(
    *,
    data: EventData,
    ctx: BatchContext,
    create_invitations: bool,
    now: datetime,
    survey: SurveyRequest | None = None,
) -> Outcome:
    """Merge the event into its ticket (created if new), upsert its customer, agent and team,
    and on a close decide the invitations. Raises ``PayloadInvalid`` when the event contradicts
    the ticket (the caller rolls back and marks the event failed); ``IntegrityError`` when a
    concurrent worker inserted the same ticket, customer, agent or team first (run again).
    ``survey`` is an in-process caller's chosen campaign and delay (``SurveyRequest``)."""
    ticket = (
        Ticket.objects.select_for_update()
        .filter(source=data.source, external_id=data.ticket.external_id)
        .first()
    )
    if ticket is not None and ticket.last_event_at is not None and data.occurred_at < ticket.last_event_at:
        return Outcome(ticket=ticket, applied=False)
    customer, customer_is_new = _customer_upsert(data.ticket.customer)
    is_new = ticket is None
    was_closed = ticket is not None and ticket.status == TicketStatus.CLOSED
    old_cycle = ticket.cycle if ticket is not None else 1
    ticket = _ticket_apply(data, ticket, customer, ctx)
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
            campaigns=ctx.campaigns,
            # A customer created now has no past; otherwise the invitation service reads it.
            history=CustomerHistory() if customer_is_new else None,
            invited=frozenset() if is_new or ticket.cycle != old_cycle else None,
            survey=survey,
        )
    return Outcome(ticket=ticket, applied=True, invitations=tuple(invitations))


def _customer_upsert(data: CustomerData) -> tuple[Customer, bool]:
    """The customer found by email (any case, the customer_email_ci_unique index), else by the
    helpdesk's id, refreshed; or a new one. Returns (customer, created)."""
    if data.email:
        found = Customer.objects.filter(Exact(Lower("email"), Lower(Value(data.email)))).first()
    elif data.external_id:
        found = Customer.objects.filter(external_id=data.external_id).order_by("pk").first()
    else:
        found = None
    if found is None:
        customer = customer_new(data)
        customer.save(force_insert=True)
        return customer, True
    changed = customer_refresh(found, data)
    if changed:
        found.save(update_fields=changed)
    return found, False


def customer_new(data: CustomerData) -> Customer:
    return Customer(
        email=data.email or None,
        external_id=data.external_id,
        name=data.name or "",
        locale=data.locale or Language.EN,
        segment=data.segment or "",
    )


def customer_refresh(customer: Customer, data: CustomerData) -> list[str]:
    """Keep a found customer's details current (never an erased one's). Returns the changed
    field names."""
    changed = []
    for name in ("name", "locale", "segment", "external_id"):
        value = getattr(data, name)
        if value and value != getattr(customer, name) and customer.erased_at is None:
            setattr(customer, name, value)
            changed.append(name)
    return changed


def _team_id(name: str) -> int | None:
    if not name:
        return None
    team = Team.objects.filter(name=name).first()
    if team is None:
        team = Team(name=name)
        team.save(force_insert=True)
    return team.pk


def _agent_upsert(data: AgentData) -> tuple[int, int | None]:
    """Find the agent by the helpdesk's id, else by email; keep its name and team current.
    Returns (agent id, the agent's team id)."""
    if data.external_id:
        agent = Agent.objects.select_related("team").filter(external_id=data.external_id).first()
    else:
        agent = (
            Agent.objects.select_related("team")
            .filter(Exact(Lower("email"), Lower(Value(data.email))), external_id="")
            .order_by("pk")
            .first()
        )
    if agent is None:
        agent = Agent(external_id=data.external_id, name=data.name, email=data.email, team_id=_team_id(data.team))
        agent.save(force_insert=True)
        return agent.pk, agent.team_id
    changed = []
    for name in ("name", "email"):
        value = getattr(data, name)
        if value and value != getattr(agent, name):
            setattr(agent, name, value)
            changed.append(name)
    if data.team and (agent.team is None or agent.team.name != data.team):
        agent.team_id = _team_id(data.team)
        changed.append("team")
    if changed:
        agent.save(update_fields=changed)
    return agent.pk, agent.team_id


def _ticket_apply(data: EventData, ticket: Ticket | None, customer: Customer, ctx: BatchContext) -> Ticket:
    """Merge the event into the (locked) ticket, or create it, and save."""
    is_new = ticket is None

    def set_agent(ticket: Ticket, agent: AgentData) -> None:
        ticket.agent_id, ticket.team_id = _agent_upsert(agent)

    ticket = ticket_merge(data, ticket, customer, ctx, set_agent)
    # A concurrent first event of this ticket: IntegrityError, the caller runs the event again.
    ticket.save(force_insert=is_new)
    return ticket


def ticket_merge(
    data: EventData,
    ticket: Ticket | None,
    customer: Customer,
    ctx: BatchContext,
    set_agent: Callable[[Ticket, AgentData], None],
) -> Ticket:
    """Merge the event into the ticket in memory (a new, unsaved one if ``ticket`` is None);
    ``set_agent`` sets the ticket's agent and team. Raises ``PayloadInvalid`` for a
    contradiction. Shared by the one-event path above and the batch path (ticket_batch.py)."""
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
    if t.agent is not None and not (ticket.status == TicketStatus.CLOSED and data.type == TicketEventType.UPDATED):
        set_agent(ticket, t.agent)

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
        ticket.sla_response_target_s, ticket.sla_resolution_target_s = ctx.sla.get(ticket.priority, (None, None))
    ticket.last_event_at = data.occurred_at
    return ticket


def _ticket_check(ticket: Ticket) -> None:
    """The database constraints and column ranges, checked first so a contradiction is a
    clear, kept error on the event rather than a database error."""
    errors = {}
    for name in _TIMES:
        value = getattr(ticket, name)
        if value is not None and value < ticket.opened_at:
            errors[f"ticket.{name}"] = [
                _("Cannot be earlier than opened_at (%(opened)s).") % {"opened": ticket.opened_at.isoformat()}
            ]
        elif (
            value is not None
            and name in _TIMED
            and (problem := seconds_problem(int((value - ticket.opened_at).total_seconds())))
        ):
            # The stored opened_at may be an earlier event's: the pair is only checkable here.
            errors[f"ticket.{name}"] = [problem]
    if errors:
        raise PayloadInvalid(errors)
