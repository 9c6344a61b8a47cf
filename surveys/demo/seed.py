"""Build, recognise and remove the demo data set."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from surveys.models import (
    Agent,
    Campaign,
    Comparison,
    Customer,
    FollowUp,
    ImprovementAction,
    Invitation,
    Questionnaire,
    Response,
    SLAPolicy,
    Target,
    Team,
    Ticket,
)

from .constants import AGENT_PREFIX, BATCH_SIZE, CUSTOMER_PREFIX, DEMO_LINEAGE, DEMO_SOURCE
from .goals import ACTION_TITLES, DEMO_TARGETS, goals_create
from .invitations import invitations_build
from .organisation import SLA_TARGETS, TEAM_NAMES, customers_create, organisation_create
from .questionnaire import campaign_create, questionnaire_create
from .responses import responses_create, responses_plan
from .tickets import tickets_create
from .users import demo_logins_create


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, bool]] = field(default_factory=list)


def demo_anchor() -> datetime:
    """The demo's "now": today's midnight in the site time zone, so a day's runs agree."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def demo_exists() -> bool:
    """Whether any demo row is in the database (tickets, questionnaire, customers or agents)."""
    return (
        Ticket.objects.filter(source=DEMO_SOURCE).exists()
        or Questionnaire.objects.filter(lineage=DEMO_LINEAGE).exists()
        or Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX).exists()
        or Agent.objects.filter(external_id__startswith=AGENT_PREFIX).exists()
    )


def demo_delete() -> None:
    """Delete the demo rows, found by their natural keys, and nothing else.

    Teams and SLA policies are shared by natural key: a demo team goes only when no agent or
    ticket uses it any more, an SLA policy only while it still has the demo's targets.
    Users are kept (they may have been changed or used since).
    """
    with transaction.atomic():
        campaigns = Campaign.objects.filter(questionnaire__lineage=DEMO_LINEAGE)
        invitations = Invitation.objects.filter(Q(campaign__in=campaigns) | Q(ticket__source=DEMO_SOURCE))
        FollowUp.objects.filter(
            Q(response__invitation__in=invitations) | Q(ticket__source=DEMO_SOURCE)
        ).delete()
        Response.objects.filter(invitation__in=invitations).delete()
        invitations.delete()
        Ticket.objects.filter(source=DEMO_SOURCE).delete()
        campaigns.delete()  # alert rules cascade
        for metric, value in DEMO_TARGETS:
            Target.objects.filter(
                metric=metric, comparison=Comparison.GTE, value=value, campaign=None, team=None
            ).delete()
        Questionnaire.objects.filter(lineage=DEMO_LINEAGE).delete()
        ImprovementAction.objects.filter(title__in=ACTION_TITLES).delete()
        Customer.objects.filter(
            external_id__startswith=CUSTOMER_PREFIX, tickets__isnull=True, invitations__isnull=True
        ).delete()
        Agent.objects.filter(external_id__startswith=AGENT_PREFIX).delete()
        Team.objects.filter(name__in=TEAM_NAMES, agents__isnull=True, tickets__isnull=True).delete()
        for priority, (first, resolution) in SLA_TARGETS.items():
            SLAPolicy.objects.filter(
                priority=priority, first_response_target_s=first, resolution_target_s=resolution
            ).delete()


def demo_seed(
    *, reset: bool = False, create_logins: bool = False, anchor: datetime | None = None
) -> DemoResult:
    """Build the demo in one transaction, unless it is already there.

    Deterministic: the same rows, relative to ``anchor`` (default: ``demo_anchor()``), on
    every run. With ``reset`` the demo rows are deleted first. ``create_logins`` adds one
    login per role (the caller decides; the command allows it only under DEBUG).
    Returns whether anything was created, the row counts and the logins.
    """
    local_midnight = anchor or demo_anchor()
    now = local_midnight.astimezone(UTC)
    with transaction.atomic():
        if reset:
            demo_delete()
        elif demo_exists():
            return DemoResult(created=False)
        org = organisation_create()
        customers = customers_create(now=now)
        questionnaire, questions = questionnaire_create()
        campaign = campaign_create(questionnaire=questionnaire)
        tickets = tickets_create(org=org, customers=customers, local_midnight=local_midnight)

        logins, owner = [], None
        if create_logins:
            first_agent = org.agents_by_team[TEAM_NAMES[0]][0]
            logins = demo_logins_create(agent=first_agent)
            owner = get_user_model().objects.get(username="manager")

        invitations = invitations_build(tickets=tickets, campaign=campaign, now=now)
        planned = responses_plan(invitations=invitations, campaign=campaign, profiles=org.profiles, now=now)
        Invitation.objects.bulk_create(invitations, batch_size=BATCH_SIZE)
        written = responses_create(planned=planned, questions=questions, now=now, owner=owner)
        goals = goals_create(campaign=campaign, today=local_midnight.date(), owner=owner)

    counts = {
        "teams": len(org.teams),
        "agents": sum(len(agents) for agents in org.agents_by_team.values()),
        "sla_policies": len(org.sla),
        "customers": len(customers),
        "questions": len(questions),
        "tickets": len(tickets),
        "invitations": len(invitations),
        **written,
        **goals,
    }
    return DemoResult(created=True, counts=counts, logins=logins)
