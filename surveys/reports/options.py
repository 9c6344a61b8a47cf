"""Choices for the filter form. Distinct values over a million tickets are cached briefly."""

from django.core.cache import cache
from django.db.models import CharField, Value

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


def _named(*, agent_id: int | None) -> dict[str, list[tuple[int, str]]]:
    """Campaigns, teams and agents as (pk, name) lists sorted by name, read in one statement
    (UNION ALL): the dashboard keeps to its fixed number of queries."""
    def rows(model, kind):
        # No ORDER BY inside a compound statement (SQLite refuses it): sorted below.
        return (
            model.objects.order_by()
            .annotate(kind=Value(kind, output_field=CharField()))
            .values_list("kind", "pk", "name")
        )

    agents = rows(Agent, "agents")
    if agent_id is not None:
        agents = agents.filter(pk=agent_id)
    named = {"campaigns": [], "teams": [], "agents": []}
    for kind, pk, name in rows(Campaign, "campaigns").union(rows(Team, "teams"), agents, all=True):
        named[kind].append((pk, name))
    return {kind: sorted(pairs, key=lambda pair: (pair[1], pair[0])) for kind, pairs in named.items()}


def filter_options(*, agent_id: int | None) -> dict:
    """Campaigns, teams, agents, categories, channels and segments to choose from.

    An agent sees only themself in the agent list.
    """
    return {
        **_named(agent_id=agent_id),
        "categories": _distinct(Ticket, "category"),
        "channels": _distinct(Ticket, "channel"),
        "segments": _distinct(Customer, "segment"),
    }


_NAMED = {"campaign": "campaigns", "team": "teams", "agent": "agents"}
_VALUES = {"category": "categories", "channel": "channels", "segment": "segments"}


def options_keeping_chosen(options: dict, filters) -> dict:
    """``options`` with each chosen filter value present, known or not.

    A bookmarked ``?channel=fax`` that no ticket has (or a deleted team's id) must show as
    chosen, not as "All": the figures are those of the filter, empty, and the form says so.
    """
    kept = dict(options)
    for field, kind in _NAMED.items():
        value = getattr(filters, field)
        if value is not None and value not in {pk for pk, _name in options[kind]}:
            kept[kind] = [*options[kind], (value, f"#{value}")]
    for field, kind in _VALUES.items():
        value = getattr(filters, field)
        if value and value not in options[kind]:
            kept[kind] = [*options[kind], value]
    return kept
