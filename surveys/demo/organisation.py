"""The demo support organisation: teams, agents, SLA policies and customers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from surveys.models import Agent, Customer, Language, Priority, SLAPolicy, Team

from .constants import AGENT_PREFIX, BATCH_SIZE, CUSTOMER_PREFIX, CUSTOMERS, DAYS, rng_for
from .texts import DOMAINS, EN_FIRST, EN_LAST, ZH_FAMILY, ZH_GIVEN

TEAM_NAMES = ["Tier 1", "Tier 2", "Billing"]

HOUR = 3600
# priority -> (first response target, resolution target), in seconds.
SLA_TARGETS = {
    Priority.LOW: (24 * HOUR, 5 * 24 * HOUR),
    Priority.NORMAL: (8 * HOUR, 3 * 24 * HOUR),
    Priority.HIGH: (2 * HOUR, 24 * HOUR),
    Priority.URGENT: (HOUR // 2, 8 * HOUR),
}


@dataclass(frozen=True)
class AgentProfile:
    """How an agent tends to work: ``speed`` multiplies their times (above 1 is slower);
    ``manner`` shifts how customers rate their attitude (on the 1–5 scale)."""

    speed: float
    manner: float


# name, team, speed, manner: a few clear strengths and weaknesses for reports to reveal.
AGENTS = [
    ("Maya Fischer", "Tier 1", 0.85, 0.3),
    ("Tom Okafor", "Tier 1", 1.0, 0.1),
    ("Lena Novak", "Tier 1", 1.25, -0.6),
    ("Chen Jie", "Tier 1", 0.9, 0.2),
    ("Priya Raman", "Tier 1", 1.05, 0.0),
    ("Daniel Brooks", "Tier 2", 1.3, -0.2),
    ("Sofia Marquez", "Tier 2", 0.8, 0.4),
    ("Wang Fang", "Tier 2", 1.0, 0.1),
    ("Jonas Berg", "Tier 2", 1.15, -0.4),
    ("Aisha Karim", "Billing", 0.9, 0.3),
    ("Liu Yang", "Billing", 1.1, 0.0),
    ("Ethan Clarke", "Billing", 1.0, -0.1),
]

SEGMENTS = [("enterprise", 0.2), ("smb", 0.35), ("consumer", 0.45)]


@dataclass
class Organisation:
    teams: dict[str, Team]
    agents_by_team: dict[str, list[Agent]]
    profiles: dict[int, AgentProfile]  # by agent id
    sla: dict[str, SLAPolicy]  # by priority


def organisation_create() -> Organisation:
    """Teams and SLA policies are reused when their natural key exists; agents are new."""
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAM_NAMES}
    sla = {
        priority: SLAPolicy.objects.get_or_create(
            priority=priority,
            defaults={"first_response_target_s": first, "resolution_target_s": resolution},
        )[0]
        for priority, (first, resolution) in SLA_TARGETS.items()
    }
    agents = Agent.objects.bulk_create(
        [
            Agent(
                name=name,
                email=f"{name.lower().replace(' ', '.')}@support.example.com",
                external_id=f"{AGENT_PREFIX}{number:02d}",
                team=teams[team],
            )
            for number, (name, team, _speed, _manner) in enumerate(AGENTS, start=1)
        ]
    )
    agents_by_team: dict[str, list[Agent]] = {name: [] for name in TEAM_NAMES}
    profiles = {}
    for agent, (_name, team, speed, manner) in zip(agents, AGENTS, strict=True):
        agents_by_team[team].append(agent)
        profiles[agent.pk] = AgentProfile(speed=speed, manner=manner)
    return Organisation(teams=teams, agents_by_team=agents_by_team, profiles=profiles, sla=sla)


def _customer(number: int, rng, now: datetime) -> Customer:
    segment = rng.choices([s for s, _ in SEGMENTS], weights=[w for _, w in SEGMENTS])[0]
    if rng.random() < 0.2:
        (family, family_py), (given, given_py) = rng.choice(ZH_FAMILY), rng.choice(ZH_GIVEN)
        name, local, locale = family + given, f"{given_py}.{family_py}", Language.ZH_HANS
    else:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        name, local, locale = f"{first} {last}", f"{first}.{last}".lower(), Language.EN
    opted_out_at = None
    if rng.random() < 0.03:
        opted_out_at = now - timedelta(days=rng.uniform(1, DAYS + 30))
    return Customer(
        # The number keeps addresses unique when two customers share a name.
        email=f"{local}.{number:03d}@{rng.choice(DOMAINS[segment])}",
        name=name,
        locale=locale,
        external_id=f"{CUSTOMER_PREFIX}{number:04d}",
        segment=segment,
        opted_out_at=opted_out_at,
    )


def customers_create(*, now: datetime) -> list[Customer]:
    """About a fifth Chinese-speaking, three segments, a few opted out."""
    rng = rng_for("customers")
    customers = [_customer(number, rng, now) for number in range(1, CUSTOMERS + 1)]
    return Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
