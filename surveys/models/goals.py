"""What managers aim for and act on: targets, improvement actions and alert rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .choices import Comparison, Metric
from .organisation import Team


class Target(models.Model):
    """A goal for one metric over a period, e.g. NPS ≥ 40 this quarter."""

    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.GTE)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "metric"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(condition=models.Q(metric__in=Metric.values), name="target_metric_valid"),
            models.CheckConstraint(
                condition=models.Q(comparison__in=Comparison.values), name="target_comparison_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="target_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.get_comparison_display()} {self.value}"


class ImprovementStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ImprovementAction(models.Model):
    """A change made to improve service (goal, measures, owner, due date), drawn on trends."""

    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"))
    measures = models.TextField(_("measures"), blank=True)
    metric = models.CharField(_("metric it should move"), max_length=30, choices=Metric.choices, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    started_on = models.DateField(_("started on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ImprovementStatus.choices, default=ImprovementStatus.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImprovementStatus.values), name="improvement_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("started_on")), name="improvement_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AlertRule(models.Model):
    """Raise an alert when a metric over a rolling window crosses a threshold.

    ``responses < 1`` over 24 hours is the "sending is probably broken" rule.
    """

    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=2)
    window_hours = models.PositiveIntegerField(_("rolling window (hours)"), default=24)
    min_n = models.PositiveIntegerField(_("minimum sample"), default=5)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True)
    recipients = models.TextField(_("recipients"), help_text=_("Email addresses, one per line."))
    is_active = models.BooleanField(_("active"), default=True)
    last_fired_at = models.DateTimeField(_("last fired at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [
            models.CheckConstraint(condition=models.Q(metric__in=Metric.values), name="alert_metric_valid"),
            models.CheckConstraint(
                condition=models.Q(comparison__in=Comparison.values), name="alert_comparison_valid"
            ),
            models.CheckConstraint(condition=models.Q(window_hours__gte=1), name="alert_window_gte_1"),
        ]

    def __str__(self) -> str:
        return self.name
