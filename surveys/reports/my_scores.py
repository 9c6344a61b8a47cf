"""An agent's own scorecard ("My scores"): the dashboard's figures narrowed to one agent, and
the same figures for their team as context. No metric code of its own: it reuses the
dashboard's selectors and display helpers, so every figure follows docs/metrics.md alike."""

from dataclasses import replace

from ..models import Agent
from .dashboard import breaches_display, chart_data, tile_display
from .figures import targets_for, tiles
from .filters import ReportFilters
from .sections import breaches, verbatims


def my_scores_data(filters: ReportFilters, *, agent: Agent, bucket: str) -> dict:
    """The page's data. ``filters`` must already be pinned to ``agent`` (filters_parse with
    agent_id). The team figures are aggregates only: no row of them names an agent."""
    targets = targets_for(filters)
    team = None
    if agent.team_id is not None:
        team_filters = replace(filters, agent=None, team=agent.team_id)
        team = [tile_display(t) for t in tiles(team_filters, targets=targets_for(team_filters))]
    return {
        "tiles": [tile_display(t) for t in tiles(filters, targets=targets)],
        "chart": chart_data(filters, bucket, targets, []),
        "verbatims": verbatims(filters),
        "breaches": breaches_display(breaches(filters)),
        "team": team,
    }
