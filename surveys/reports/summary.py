"""The printable summary report: goals, methods, results, breaches, drivers and actions."""

from ..models import Campaign, Question
from .counts import counts
from .dashboard import breaches_display, drivers_display, freshness, tile_display
from .drivers import drivers
from .sections import breaches, improvement_actions
from .selectors import targets_for, tiles


def summary_report_data(filters) -> dict:
    """Everything the one-page summary shows. A fixed number of queries."""
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
    return {
        "targets": list(targets_for(filters).values()),
        "campaigns": campaigns,
        "questions": questions,
        "tiles": [tile_display(t) for t in tiles(filters)],
        "breaches": breaches_display(breaches(filters, limit=10)),
        "drivers": drivers_display([d for d in drivers(filters) if d["spread"] is not None][:3]),
        "actions": improvement_actions(filters, open_only=True),
        "freshness": freshness(filters),
    }
