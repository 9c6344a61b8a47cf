"""Figures over a rolling window of hours, for alert rules (docs/alerts.md).

Each figure is computed by the reports' own functions (``reports/aggregates.py`` read
through ``catalogue.METRICS``), on the same records a report would take: ``WindowFilters`` is
a ``ReportFilters`` whose period is ``[now − window, now)`` to the second instead of whole
days, so the rule of which date puts a record in a period, and the scope filters, are the
reports' rules.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import AlertCheck, AlertPercentile, AlertRule, Comparison, Invitation, InvitationStatus, Metric
from . import metrics
from .aggregates import invitation_counts, survey_counts, ticket_counts
from .catalogue import METRICS, figures_from_counts
from .filters import ReportFilters

COMPARE = {
    Comparison.LT: operator.lt,
    Comparison.LTE: operator.le,
    Comparison.GT: operator.gt,
    Comparison.GTE: operator.ge,
}
DURATIONS = {Metric.FIRST_RESPONSE_TIME, Metric.RESOLUTION_TIME}
P90_LABELS = {
    Metric.FIRST_RESPONSE_TIME: _("First response time (p90)"),
    Metric.RESOLUTION_TIME: _("Resolution time (p90)"),
}


@dataclass(frozen=True)
class WindowFilters(ReportFilters):
    """Report filters over ``[low, high)``, two moments rather than two site-local days."""

    low: datetime | None = None
    high: datetime | None = None

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.low, self.high


@dataclass(frozen=True)
class WindowFigure:
    """A rule's figure now. ``crossing`` is None when n is below the rule's minimum sample
    (or the figure is unknown): the rule is then not judged, neither fired nor recovered."""

    value: float | None
    n: int
    unit: str
    label: str
    window_start: datetime
    window_end: datetime
    crossing: bool | None
    min_n: int


def minimum_n(rule: AlertRule) -> int:
    """The sample below which the rule is not judged. A rate or score is never judged on
    fewer records than the reports show it for (``REPORT_MIN_SAMPLE``); the "no responses"
    check counts invitations, so one sent invitation is evidence enough if the rule says so."""
    if rule.check_kind == AlertCheck.NO_RESPONSES:
        return max(rule.min_n, 1)
    return max(rule.min_n, settings.REPORT_MIN_SAMPLE, 1)


def rule_filters(rule: AlertRule, *, now: datetime) -> WindowFilters:
    low = now - timedelta(hours=rule.window_hours)
    return WindowFilters(
        # start / end only name the days the window touches (for display); bounds decide.
        start=low.date(),
        end=now.date() + timedelta(days=1),
        campaign=rule.campaign_id,
        team=rule.team_id,
        category=rule.category,
        channel=rule.channel,
        low=low,
        high=now,
    )


def _metric_figure(rule: AlertRule, f: WindowFilters) -> tuple[float | None, int, str, str]:
    spec = METRICS[rule.metric]
    if spec.source == "survey":
        counts = survey_counts(f.responses())
    elif spec.source == "ticket":
        counts = ticket_counts(f.tickets(), percentiles=rule.metric in DURATIONS)
    else:
        counts = invitation_counts(f.invitations())
    figures = figures_from_counts(spec.source, counts[None])
    value, n, _interval = spec.read(figures)
    label = spec.label
    if rule.metric in DURATIONS and rule.percentile == AlertPercentile.P90:
        value, label = figures[rule.metric]["p90_s"], P90_LABELS[rule.metric]
    return value, n, spec.unit, str(label)


def _failed_invitations(f: WindowFilters):
    """Invitations that gave up sending in the window. A failed invitation was never sent (no
    ``sent_at``); the moment it was marked failed is its ``updated_at``."""
    low, high = f.bounds
    qs = Invitation.objects.filter(status=InvitationStatus.FAILED, updated_at__gte=low, updated_at__lt=high)
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    # The reports' own scope filter over the invitation's ticket.
    return qs.filter(f._ticket_q("ticket__"))


def rule_figure(rule: AlertRule, *, now: datetime) -> WindowFigure:
    """The rule's figure over ``[now − window_hours, now)``, its n, and whether it crosses the
    threshold (compared unrounded). Read-only."""
    f = rule_filters(rule, now=now)
    if rule.check_kind == AlertCheck.NO_RESPONSES:
        value = survey_counts(f.responses())[None]["responses"]
        n = invitation_counts(f.invitations())[None]["sent"]
        unit, label = "count", str(_("Responses"))
        crossing = value == 0
    elif rule.check_kind == AlertCheck.SENDING_FAILURES:
        sent = invitation_counts(f.invitations())[None]["sent"]
        failed = _failed_invitations(f).count()
        n = sent + failed
        value = metrics.ratio_pct(failed, n)
        unit, label = "pct", str(_("Sending failures"))
        crossing = value is not None and value > float(rule.threshold)
    else:
        value, n, unit, label = _metric_figure(rule, f)
        crossing = value is not None and COMPARE[rule.comparison](value, float(rule.threshold))
    min_n = minimum_n(rule)
    judged = value is not None and n >= min_n
    return WindowFigure(
        value=value,
        n=n,
        unit=unit,
        label=label,
        window_start=f.low,
        window_end=f.high,
        crossing=crossing if judged else None,
        min_n=min_n,
    )
