"""Applying a claimed batch of ticket events with a fixed number of queries (docs/design.md flow 1).

The batch's tickets (locked), customers, agents, teams, the customers' survey history and
the tickets' invitations of this cycle are read in a few queries; the events are merged in
memory, per ticket in ``occurred_at`` order, with the same rules as the one-event path
(``ticket_apply.ticket_merge``); the new and changed rows are written with ``bulk_create``
and ``bulk_update``. The result is what applying the events one by one gives.

``batch_apply`` raises whatever stops it: the caller rolls the batch back and runs it again
one event at a time, which finds the event at fault. It raises ``Unbatchable`` for what it
does not do in memory: a reopen that starts a new cycle (the earlier cycle's invitations are
withdrawn). A daily cap is counted once per batch, under the capped campaigns' locks, per
local day its closes can fall on, then in memory. An
``IntegrityError`` means a concurrent worker inserted one of the batch's new rows first: the
caller runs the batch again, and the re-read finds that row.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.utils import timezone

from ..ingest.schema import AgentData, CustomerData, EventData
from ..models import (
    Agent,
    Campaign,
    Customer,
    Invitation,
    SuppressionReason,
    Team,
    Ticket,
    TicketEventType,
    TicketStatus,
)
from . import ticket_apply
from .invitations import (
    LIVE_STATUSES,
    CustomerHistory,
    campaigns_matching,
    invitation_new,
    invitation_suppression_reason,
)
from .ticket_apply import BatchContext, Outcome, customer_new, customer_refresh

_TICKET_FIELDS = [f for f in Ticket._meta.concrete_fields if not f.primary_key]


class Unbatchable(Exception):
    """The batch needs the one-event path (see the module's docstring)."""


def _first(rows: list):
    return rows[0] if rows else None


class _Batch:
    def __init__(self, datas: list[EventData], ctx: BatchContext, now: datetime, create_invitations: bool):
        self.ctx, self.now = ctx, now
        self.tickets: dict[tuple[str, str], Ticket] = {}
        self.customers_by_email: dict[str, Customer] = {}
        self.customers_by_xid: dict[str, list[Customer]] = defaultdict(list)
        self.agents_by_xid: dict[str, Agent] = {}
        self.agents_by_email: dict[str, list[Agent]] = defaultdict(list)
        self.teams: dict[str, Team] = {}
        self.dirty: dict[type, dict[int, tuple[object, set[str]]]] = defaultdict(dict)
        self.new: dict[type, list] = defaultdict(list)
        self.invitations: list[Invitation] = []
        self._read(datas)
        self.scheduled: dict[tuple[int, date], int] = defaultdict(int)  # (campaign pk, local day)
        if create_invitations:
            self._read_caps(datas)

    # Reading: a fixed number of queries for the whole batch.
    def _read(self, datas: list[EventData]) -> None:
        keys = defaultdict(set)
        emails, cxids, axids, aemails, teams = set(), set(), set(), set(), set()
        for d in datas:
            keys[d.source].add(d.ticket.external_id)
            c, a = d.ticket.customer, d.ticket.agent
            if c.email:
                emails.add(c.email.lower())
            elif c.external_id:
                cxids.add(c.external_id)
            if a is not None:
                if a.external_id:
                    axids.add(a.external_id)
                else:
                    aemails.add(a.email.lower())
                if a.team:
                    teams.add(a.team)
        where = reduce(or_, (Q(source=s, external_id__in=sorted(x)) for s, x in keys.items()))
        # Locked in key order, as the one-event path and every other worker lock them.
        for t in Ticket.objects.select_for_update().filter(where).order_by("source", "external_id"):
            self.tickets[(t.source, t.external_id)] = t
        if emails:
            found = Customer.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails)
            self.customers_by_email = {c.email_ci: c for c in found}
        # One object per row, however it was found.
        self.customers_by_pk = {c.pk: c for c in self.customers_by_email.values()}
        for c in Customer.objects.filter(external_id__in=cxids).order_by("pk") if cxids else ():
            self.customers_by_xid[c.external_id].append(self.customers_by_pk.setdefault(c.pk, c))
        # Each customer's tickets in the batch, for "another ticket's complaint is open".
        self.owned: dict[int, dict[int, Ticket]] = defaultdict(dict)  # id(customer) -> id(ticket) -> ticket
        self.owner: dict[int, int] = {}  # id(ticket) -> id(customer)
        for t in self.tickets.values():
            if t.customer_id in self.customers_by_pk:
                self.owned[id(self.customers_by_pk[t.customer_id])][id(t)] = t
                self.owner[id(t)] = id(self.customers_by_pk[t.customer_id])
        agents = Agent.objects.select_related("team")
        self.agents_by_xid = {a.external_id: a for a in agents.filter(external_id__in=axids)} if axids else {}
        if aemails:
            found = agents.annotate(email_ci=Lower("email")).filter(email_ci__in=aemails, external_id="")
            for a in found.order_by("pk"):
                self.agents_by_email[a.email_ci].append(a)
        self.teams = {t.name: t for t in Team.objects.filter(name__in=teams)} if teams else {}
        self._read_history()

    def _read_history(self) -> None:
        """The customers' newest live invitation, their open complaints elsewhere, and the
        invitations the batch's tickets already have in this cycle."""
        customer_pks = set(self.customers_by_pk)
        self.recent: dict[int, datetime] = {}  # id(customer) -> a live invitation written now
        ticket_pks = {t.pk for t in self.tickets.values()}
        self.last_surveyed: dict[int, datetime | None] = {}
        self.complaints: dict[int, set[int]] = defaultdict(set)  # customer pk -> other tickets' pks
        self.invited: dict[int, set[int]] = defaultdict(set)  # id(ticket) -> campaign pks
        if not self.ctx.campaigns:
            return
        if customer_pks:
            last = (
                Invitation.objects.filter(customer_id__in=customer_pks, status__in=LIVE_STATUSES)
                .values("customer_id")
                .annotate(last=Max(Coalesce("sent_at", "created_at")))
            )
            self.last_surveyed = {row["customer_id"]: row["last"] for row in last}
            complaints = (
                Ticket.objects.filter(customer_id__in=customer_pks, is_complaint=True)
                .exclude(status__in=(TicketStatus.CLOSED, TicketStatus.REMOVED))
                .exclude(pk__in=ticket_pks)  # the batch's own tickets are judged in memory
                .values_list("customer_id", "pk")
            )
            for customer_pk, pk in complaints:
                self.complaints[customer_pk].add(pk)
        if ticket_pks:
            by_pk = {t.pk: t for t in self.tickets.values()}
            rows = Invitation.objects.filter(ticket_id__in=ticket_pks).values_list(
                "ticket_id", "cycle", "campaign_id"
            )
            for ticket_pk, cycle, campaign_pk in rows:
                if cycle == by_pk[ticket_pk].cycle:
                    self.invited[id(by_pk[ticket_pk])].add(campaign_pk)

    def _read_caps(self, datas: list[EventData]) -> None:
        """Capped campaigns: locked (as the one-event path locks one before it counts, so two
        workers cannot both take the last slot), and their live invitations counted per local
        day over the days this batch's closes can fall on (only a close invites, on its
        closed_at plus the campaign's delay)."""
        capped = {c.pk: c for c in self.ctx.campaigns if c.daily_cap is not None}
        if not capped:
            return
        closes = [d.ticket.closed_at for d in datas if d.type == TicketEventType.CLOSED and d.ticket.closed_at]
        if not closes:
            return
        list(Campaign.objects.select_for_update().filter(pk__in=capped).order_by("pk").values_list("pk"))
        delays = [timedelta(minutes=c.delay_minutes) for c in capped.values()]
        first = timezone.localtime(min(closes) + min(delays)).replace(hour=0, minute=0, second=0, microsecond=0)
        last = timezone.localtime(max(closes) + max(delays)).replace(hour=0, minute=0, second=0, microsecond=0)
        counts = (
            Invitation.objects.filter(
                campaign_id__in=capped, status__in=LIVE_STATUSES,
                send_after__gte=first, send_after__lt=last + timedelta(days=1),
            )
            .values("campaign_id", day=TruncDate("send_after"))
            .annotate(n=Count("pk"))
        )  # fmt: skip
        for row in counts:
            self.scheduled[(row["campaign_id"], row["day"])] = row["n"]

    # Rows found or made in memory.
    def _mark(self, obj, fields) -> None:
        if obj.pk is not None and fields:
            self.dirty[type(obj)].setdefault(id(obj), (obj, set()))[1].update(fields)

    def customer(self, data: CustomerData) -> Customer:
        if data.email:
            found = self.customers_by_email.get(data.email.lower())
        elif data.external_id:
            found = _first(self.customers_by_xid.get(data.external_id, []))
        else:
            found = None
        if found is None:
            found = customer_new(data)
            self.new[Customer].append(found)
            if found.email:
                self.customers_by_email[found.email.lower()] = found
            if found.external_id:
                self.customers_by_xid[found.external_id].append(found)
            return found
        old_xid = found.external_id
        self._mark(found, customer_refresh(found, data))
        if found.external_id != old_xid:  # now found under its new helpdesk id, not the old one
            if found in self.customers_by_xid.get(old_xid, ()):
                self.customers_by_xid[old_xid].remove(found)
            self._insert(self.customers_by_xid[found.external_id], found)
        return found

    @staticmethod
    def _insert(rows: list, obj) -> None:
        """Keep a list of candidates in primary-key order, unsaved ones last."""
        rows.append(obj)
        rows.sort(key=lambda o: (o.pk is None, o.pk or 0))

    def team(self, name: str) -> Team | None:
        if not name:
            return None
        if name not in self.teams:
            self.teams[name] = Team(name=name)
            self.new[Team].append(self.teams[name])
        return self.teams[name]

    def agent(self, data: AgentData) -> Agent:
        if data.external_id:
            agent = self.agents_by_xid.get(data.external_id)
        else:
            agent = _first(self.agents_by_email.get(data.email.lower(), []))
        if agent is None:
            agent = Agent(
                external_id=data.external_id, name=data.name, email=data.email, team=self.team(data.team)
            )
            self.new[Agent].append(agent)
            if agent.external_id:
                self.agents_by_xid[agent.external_id] = agent
            else:
                self.agents_by_email[agent.email.lower()].append(agent)
            return agent
        old_email, changed = agent.email, []
        for name in ("name", "email"):
            value = getattr(data, name)
            if value and value != getattr(agent, name):
                setattr(agent, name, value)
                changed.append(name)
        if data.team and (agent.team is None or agent.team.name != data.team):
            agent.team = self.team(data.team)
            changed.append("team")
        if not agent.external_id and agent.email.lower() != old_email.lower():
            if agent in self.agents_by_email.get(old_email.lower(), ()):
                self.agents_by_email[old_email.lower()].remove(agent)
            self._insert(self.agents_by_email[agent.email.lower()], agent)
        self._mark(agent, changed)
        return agent

    def set_agent(self, ticket: Ticket, data: AgentData) -> None:
        agent = self.agent(data)
        ticket.agent, ticket.team = agent, agent.team

    # Applying, in the one-event path's order and with its rules.
    def apply(self, data: EventData, create_invitations: bool) -> Outcome:
        key = (data.source, data.ticket.external_id)
        ticket = self.tickets.get(key)
        if (
            ticket is not None
            and ticket.last_event_at is not None
            and data.occurred_at < ticket.last_event_at
        ):
            return Outcome(ticket=ticket, applied=False)
        customer = self.customer(data.ticket.customer)
        was_closed = ticket is not None and ticket.status == TicketStatus.CLOSED
        old_cycle = ticket.cycle if ticket is not None else 1
        if ticket is not None and ticket.pk is not None and not hasattr(ticket, "_batch_before"):
            ticket._batch_before = {f.attname: getattr(ticket, f.attname) for f in _TICKET_FIELDS}
        merged = ticket_apply.ticket_merge(data, ticket, customer, self.ctx, self.set_agent)
        if merged.cycle != old_cycle:
            raise Unbatchable("a reopen starts a new cycle")
        if ticket is None:
            self.tickets[key] = merged
            self.new[Ticket].append(merged)
        owner = self.owner.get(id(merged))
        if owner is not None:
            self.owned[owner].pop(id(merged), None)
        self.owner[id(merged)] = id(customer)
        self.owned[id(customer)][id(merged)] = merged
        if (
            create_invitations
            and merged.status == TicketStatus.CLOSED
            and (data.type == TicketEventType.CLOSED or not was_closed)
        ):
            return Outcome(ticket=merged, applied=True, invitations=tuple(self._invite(merged)))
        return Outcome(ticket=merged, applied=True)

    def _history(self, ticket: Ticket) -> CustomerHistory:
        customer = ticket.customer
        last = self.recent.get(id(customer)) or self.last_surveyed.get(customer.pk)
        complaint_open = bool(self.complaints.get(customer.pk)) or any(
            t is not ticket and t.is_complaint and t.status not in (TicketStatus.CLOSED, TicketStatus.REMOVED)
            for t in self.owned[id(customer)].values()
        )
        return CustomerHistory(last_surveyed_at=last, complaint_open=complaint_open)

    def _invite(self, ticket: Ticket) -> list[Invitation]:
        """invitations_create_for_ticket, on the batch's memory of who was invited when."""
        campaigns = campaigns_matching(ticket=ticket, campaigns=self.ctx.campaigns)
        if not campaigns:
            return []
        invited = self.invited[id(ticket)]
        decided, history, written = bool(invited), None, []
        customer = ticket.customer
        for campaign in campaigns:
            if campaign.pk in invited:
                continue
            send_after = ticket.closed_at + timedelta(minutes=campaign.delay_minutes)
            if decided:
                reason = SuppressionReason.ANOTHER_CAMPAIGN
            else:
                decided = True
                history = self._history(ticket)
                day = (campaign.pk, timezone.localdate(send_after)) if campaign.daily_cap is not None else None
                reason = invitation_suppression_reason(
                    campaign=campaign, ticket=ticket, customer=customer, send_after=send_after,
                    now=self.now, history=history, scheduled_that_day=self.scheduled[day] if day else None,
                )  # fmt: skip
                if day and not reason:
                    self.scheduled[day] += 1
            invitation = invitation_new(
                campaign=campaign, ticket=ticket, customer=customer, reason=reason, send_after=send_after
            )
            invited.add(campaign.pk)
            written.append(invitation)
            if not reason:  # live now: it throttles the customer's next close in this batch
                self.recent[id(customer)] = timezone.now()
        self.invitations.extend(written)
        return written

    # Writing: a fixed number of statements.
    def write(self) -> list[Invitation]:
        # In key order, so two workers inserting the same new rows wait for each other rather
        # than deadlock; the second gets IntegrityError and runs the batch again.
        Team.objects.bulk_create(sorted(self.new[Team], key=lambda t: t.name))
        Agent.objects.bulk_create(sorted(self.new[Agent], key=lambda a: (a.external_id, a.email.lower())))
        customers = sorted(self.new[Customer], key=lambda c: ((c.email or "").lower(), c.external_id))
        Customer.objects.bulk_create(customers)
        for model in (Agent, Customer):
            rows = self.dirty[model].values()
            if rows:
                model.objects.bulk_update([o for o, _f in rows], sorted(set().union(*(f for _o, f in rows))))
        for ticket in self.tickets.values():
            if hasattr(ticket, "_batch_before") or ticket.pk is None:
                # Their related rows may have been inserted just now: take their keys.
                ticket.customer = ticket.customer
                if ticket.agent_id is None:
                    ticket.agent = ticket.agent
                if ticket.team_id is None:
                    ticket.team = ticket.team
            ticket.set_durations()
        Ticket.objects.bulk_create(self.new[Ticket])
        changed, fields = [], set()
        for ticket in self.tickets.values():
            before = getattr(ticket, "_batch_before", None)
            if before is None:
                continue
            names = {f.name for f in _TICKET_FIELDS if before[f.attname] != getattr(ticket, f.attname)}
            if names:
                ticket.updated_at = timezone.now()
                changed.append(ticket)
                fields |= names | {"updated_at"}
        if changed:
            Ticket.objects.bulk_update(changed, sorted(fields))
        Invitation.objects.bulk_create(self.invitations)
        return self.invitations


def batch_apply(
    items: list[tuple[int, EventData]], *, ctx: BatchContext, create_invitations: bool, now: datetime
) -> tuple[dict[int, Outcome], list[Invitation]]:
    """Apply ``(event pk, event)`` pairs, already in apply order, inside the caller's
    transaction. Returns each event's outcome and the invitations written."""
    if not items:
        return {}, []
    batch = _Batch([d for _pk, d in items], ctx, now, create_invitations)
    outcomes = {pk: batch.apply(d, create_invitations) for pk, d in items}
    return outcomes, batch.write()
