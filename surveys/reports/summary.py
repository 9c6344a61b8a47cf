"""The printable summary report: goals, methods, results, breaches, drivers and actions."""

from django.conf import settings

from ..models import Campaign, Question
from .counts import counts
from .dashboard import action_effects_for, breaches_display, drivers_display, freshness, tile_display
from .drivers import drivers
from .figures import targets_for, tiles
from .sections import breaches, improvement_actions


def summary_report_data(filters, *, agent_id: int | None = None) -> dict:
    """Everything the one-page summary shows. A fixed number of queries.

    The actions are those of the period (open, or finished during it) with owners, dates and
    their measured effect; ``agent_id`` (an agent's own report) leaves the effects out."""
    responses = filters.responses()
    # The sample: each campaign's responses in the period.
    sample = {key[0]: c["responses"] for key, c in counts("survey", filters, ("campaign",)).items()}
    campaigns = list(
        Campaign.objects.filter(pk__in=list(sample)).select_related("questionnaire").order_by("name")
    )
    for campaign in campaigns:
        campaign.n = sample[campaign.pk]
    questions = list(
        Question.objects.filter(questionnaire_id__in=responses.values("invitation__questionnaire_id"))
        .order_by("questionnaire_id", "order", "id")
        .values("key", "text", "kind")
        .distinct()
    )
    effects = action_effects_for(improvement_actions(filters), agent_id)
    return {
        "targets": list(targets_for(filters).values()),
        "campaigns": campaigns,
        "questions": questions,
        "tiles": [tile_display(t) for t in tiles(filters)],
        "breaches": breaches_display(breaches(filters, limit=10)),
        "drivers": drivers_display([d for d in drivers(filters) if d["spread"] is not None][:3]),
        "effects": effects,
        "overdue": [row for row in effects if row["overdue"]],
        "effect_max_days": settings.IMPROVEMENT_EFFECT_MAX_DAYS,
        "freshness": freshness(filters),
    }
