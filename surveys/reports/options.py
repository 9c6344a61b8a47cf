"""Choices for the filter form. Distinct values over a million tickets are cached briefly."""

from django.core.cache import cache

from ..models import Agent, Campaign, Customer, Team, Ticket

CACHE_SECONDS = 300


def _distinct(model, field: str) -> list[str]:
    key = f"reports:options:{model._meta.model_name}:{field}"
    values = cache.get(key)
    if values is None:
        # From the source rows, not the rollups: those hold only closed tickets of past days,
        # and a category first seen today must be choosable today (~0.25 s at a million
        # tickets, once per CACHE_SECONDS).
        rows = model.objects.all()
        values = list(rows.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct())
        cache.set(key, values, CACHE_SECONDS)
    return values


def filter_options(*, agent_id: int | None) -> dict:
    """Campaigns, teams, agents, categories, channels and segments to choose from.

    An agent sees only themself in the agent list.
    """
    agents = Agent.objects.order_by("name").values_list("pk", "name")
    if agent_id is not None:
        agents = agents.filter(pk=agent_id)
    return {
        "campaigns": list(Campaign.objects.order_by("name").values_list("pk", "name")),
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "agents": list(agents),
        "categories": _distinct(Ticket, "category"),
        "channels": _distinct(Ticket, "channel"),
        "segments": _distinct(Customer, "segment"),
    }
