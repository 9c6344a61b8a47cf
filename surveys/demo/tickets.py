"""Two thousand tickets over the last 90 days, with times that depend on who and what."""

import math
from datetime import UTC, datetime, timedelta

from surveys.models import Customer, Language, Priority, Ticket, TicketStatus

from .constants import BATCH_SIZE, DAYS, DEMO_SOURCE, TICKET_PREFIX, TICKETS, rng_for
from .organisation import Organisation
from .texts import SUBJECTS

CATEGORIES = {"billing": 0.22, "account": 0.25, "technical": 0.30, "shipping": 0.15, "other": 0.08}
PRIORITIES = {Priority.LOW: 0.2, Priority.NORMAL: 0.55, Priority.HIGH: 0.2, Priority.URGENT: 0.05}
CHANNELS = {"email": 0.45, "chat": 0.25, "phone": 0.15, "web": 0.15}
TEAM_FOR_CATEGORY = {
    "billing": {"Billing": 0.85, "Tier 1": 0.15},
    "account": {"Tier 1": 0.75, "Tier 2": 0.25},
    "technical": {"Tier 2": 0.6, "Tier 1": 0.4},
    "shipping": {"Tier 1": 1.0},
    "other": {"Tier 1": 0.9, "Billing": 0.1},
}
# Multipliers on the typical time: above 1 is slower. Tier 2 gets the hard cases.
TEAM_SPEED = {"Tier 1": 0.8, "Tier 2": 1.4, "Billing": 1.0}
CATEGORY_SPEED = {"billing": 0.9, "account": 0.7, "technical": 1.5, "shipping": 1.2, "other": 0.8}
# Chat and phone are answered while the customer waits.
CHANNEL_FIRST_RESPONSE = {"email": 1.0, "web": 1.1, "chat": 0.06, "phone": 0.04}
SEGMENT_WEIGHT = {"enterprise": 1.6, "smb": 1.2, "consumer": 1.0}
# Tickets by hour of the day (local): office hours dominate.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 9, 10, 11, 10, 9, 7, 5, 4, 3, 2, 2, 1]
EXTRA_CONTACTS = {0: 0.74, 1: 0.16, 2: 0.06, 3: 0.025, 4: 0.01, 5: 0.005}


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _lognormal_seconds(rng, median: float, sigma: float) -> int:
    return max(30, int(rng.lognormvariate(math.log(median), sigma)))


def _calendar(local_midnight: datetime) -> tuple[list[datetime], list[float]]:
    """The days before ``local_midnight`` and how busy each is: weekends about a third."""
    days = [local_midnight - timedelta(days=offset) for offset in range(1, DAYS + 1)]
    return days, [1.0 if day.weekday() < 5 else 0.35 for day in days]


def _opened_at(rng, calendar: tuple[list[datetime], list[float]]) -> datetime:
    # One draw per choice whatever the calendar, so the rest of the stream (every duration
    # and score) is the same on any day the demo is built.
    day = rng.choices(*calendar)[0]
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = day + timedelta(hours=hour, seconds=rng.randrange(3600))
    return local.astimezone(UTC)


def _ticket(rng, org: Organisation, customer: Customer, calendar: tuple, now: datetime) -> Ticket:
    category = _pick(rng, CATEGORIES)
    priority = _pick(rng, PRIORITIES)
    channel = _pick(rng, CHANNELS)
    team_name = _pick(rng, TEAM_FOR_CATEGORY[category])
    agent = rng.choice(org.agents_by_team[team_name])
    speed = TEAM_SPEED[team_name] * org.profiles[agent.pk].speed
    sla = org.sla[priority]

    first_response_s = _lognormal_seconds(
        rng, sla.first_response_target_s * 0.45 * speed * CHANNEL_FIRST_RESPONSE[channel], 0.9
    )
    resolution_s = _lognormal_seconds(
        rng, sla.resolution_target_s * 0.3 * speed * CATEGORY_SPEED[category], 0.85
    )
    reopen_count = 0
    if rng.random() < (0.13 if category == "technical" else 0.06):
        reopen_count = rng.choices([1, 2, 3], weights=[80, 16, 4])[0]
        # The whole history counts: the ticket was resolved, came back and was resolved again.
        resolution_s = int(resolution_s * (1 + reopen_count * rng.uniform(0.5, 1.5)))
    resolution_s = max(resolution_s, first_response_s + rng.randint(60, 1800))
    contact_count = 1 + _pick(rng, EXTRA_CONTACTS) + reopen_count
    slow = resolution_s > 1.5 * sla.resolution_target_s
    is_complaint = rng.random() < 0.012 + 0.04 * slow + 0.1 * (reopen_count > 0)

    opened_at = _opened_at(rng, calendar)
    first_response_at = opened_at + timedelta(seconds=first_response_s)
    resolved_at = opened_at + timedelta(seconds=resolution_s)
    # Over half are closed on the spot; the rest auto-close after the customer stays quiet.
    closed_at = resolved_at if rng.random() < 0.55 else resolved_at + timedelta(hours=rng.uniform(2, 72))
    language = 1 if customer.locale == Language.ZH_HANS else 0
    status = TicketStatus.CLOSED
    # Recent tickets may not have got this far yet.
    if closed_at > now:
        closed_at, status = None, TicketStatus.RESOLVED
    if resolved_at > now:
        resolved_at, status = None, TicketStatus.OPEN
    if first_response_at > now:
        first_response_at = None
    ticket = Ticket(
        source=DEMO_SOURCE,
        customer=customer,
        agent=agent,
        team=org.teams[team_name],
        subject=rng.choice(SUBJECTS[category][language]),
        category=category,
        priority=priority,
        channel=channel,
        status=status,
        opened_at=opened_at,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        closed_at=closed_at,
        contact_count=contact_count,
        reopen_count=reopen_count,
        cycle=reopen_count + 1,
        is_complaint=is_complaint,
        sla_response_target_s=sla.first_response_target_s,
        sla_resolution_target_s=sla.resolution_target_s,
    )
    ticket.set_durations()
    return ticket


def tickets_create(*, org: Organisation, customers: list[Customer], local_midnight: datetime) -> list[Ticket]:
    """Tickets opened in the ``DAYS`` days before ``local_midnight`` (the "now" of the demo).

    Busy enterprise customers raise more tickets; external ids follow the opening order.
    """
    rng = rng_for("tickets")
    now = local_midnight.astimezone(UTC)
    weights = [SEGMENT_WEIGHT[customer.segment] for customer in customers]
    owners = rng.choices(customers, weights=weights, k=TICKETS)
    calendar = _calendar(local_midnight)
    tickets = [_ticket(rng, org, customer, calendar, now) for customer in owners]
    tickets.sort(key=lambda ticket: ticket.opened_at)
    for number, ticket in enumerate(tickets, start=10001):
        ticket.external_id = f"{TICKET_PREFIX}{number}"
    return Ticket.objects.bulk_create(tickets, batch_size=BATCH_SIZE)
