"""What the demo managers aim for: targets, improvement actions and one alert rule."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser

from surveys.models import (
    AlertCheck,
    AlertRule,
    Campaign,
    Comparison,
    ImprovementAction,
    ImprovementStatus,
    Metric,
    Target,
)
from surveys.reports.periods import add_months, quarter_start

# title, goal, measures, metric, started (days ago), due (days from today), status,
# then the goal's scope (category) and target (comparison, value in the metric's units).
ACTIONS = [
    (
        "Faster first replies on technical tickets",
        "Cut the median first response time of technical tickets below four hours.",
        "A shared queue for Tier 1 and Tier 2 in office hours; a triage rota for mornings.",
        Metric.FIRST_RESPONSE_TIME,
        40,
        30,
        ImprovementStatus.IN_PROGRESS,
        "technical",
        (Comparison.LT, 4 * 3600),
    ),
    (
        "Clearer billing macros",
        "Raise CSAT on billing tickets by explaining invoices in plain words.",
        "Rewrote the ten most used billing replies; added a worked invoice example.",
        Metric.CSAT,
        75,
        -45,
        ImprovementStatus.DONE,
        "billing",
        (Comparison.GTE, 85),
    ),
]
# Improvement actions have no link to the campaign, so --reset finds them by title.
ACTION_TITLES = [action[0] for action in ACTIONS]
ALERT_NAME = "No responses in 24 h"


# The demo's organisation-wide goals for the current quarter: (metric, at least).
DEMO_TARGETS = [(Metric.NPS, 30), (Metric.CSAT, 85)]


def goals_create(*, campaign: Campaign, today: date, owner: AbstractBaseUser | None = None) -> dict[str, int]:
    """Two targets for this quarter, two improvement actions and the "sending is broken" alert.

    The targets are organisation-wide (no campaign, no team), so the default dashboard shows
    them; demo_delete finds them by their values. The alert belongs to the demo campaign.
    """
    start = quarter_start(today)
    end = add_months(start, 3)
    targets = Target.objects.bulk_create(
        Target(
            metric=metric,
            comparison=Comparison.GTE,
            value=Decimal(value),
            period_start=start,
            period_end=end,
        )
        for metric, value in DEMO_TARGETS
    )
    actions = ImprovementAction.objects.bulk_create(
        ImprovementAction(
            title=title,
            goal=goal,
            measures=measures,
            metric=metric,
            owner=owner,
            started_on=today - timedelta(days=started_days_ago),
            due_on=today + timedelta(days=due_in_days),
            status=status,
            category=category,
            target_comparison=comparison,
            target_value=Decimal(target),
        )
        for title, goal, measures, metric, started_days_ago, due_in_days, status, category, (
            comparison,
            target,
        ) in ACTIONS
    )
    AlertRule.objects.create(
        name=ALERT_NAME,
        # The built-in "sending is probably broken" check: invitations went out, nobody answered.
        check_kind=AlertCheck.NO_RESPONSES,
        window_hours=24,
        min_n=1,
        campaign=campaign,
        recipients="support-leads@example.com",
    )
    return {"targets": len(targets), "actions": len(actions), "alert_rules": 1}
