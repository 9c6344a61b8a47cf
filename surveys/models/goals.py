"""What managers aim for and act on: targets, improvement actions and alert rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .choices import AlertCheck, AlertPercentile, Comparison, Metric
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
    """A change made to improve service, drawn on trends, with its measured effect.

    Its goal is a metric in a scope (campaign, team, category, channel: empty = all, as on an
    AlertRule) and a target value; the reports compare the metric before and after
    ``started_on`` over periods of equal length (surveys/reports/effects.py, docs/metrics.md).
    """

    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"))
    measures = models.TextField(_("measures"), blank=True)
    metric = models.CharField(_("metric it should move"), max_length=30, choices=Metric.choices, blank=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=50, blank=True)
    target_comparison = models.CharField(
        _("target comparison"), max_length=3, choices=Comparison.choices, default=Comparison.GTE
    )
    target_value = models.DecimalField(
        _("target value"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("In the metric's units: NPS points, percent, seconds, CES points."),
    )
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
            # The number of responses is a volume, not something an action moves; every other
            # metric has a before/after test (docs/metrics.md).
            models.CheckConstraint(
                condition=models.Q(metric="") | models.Q(metric__in=Metric.values) & ~models.Q(metric=Metric.RESPONSES),
                name="improvement_metric_valid",
                violation_error_message=_("Choose a metric an action can move (not the number of responses)."),
            ),
            models.CheckConstraint(
                condition=models.Q(target_comparison__in=Comparison.values), name="improvement_comparison_valid"
            ),
            # A target value is a value of the metric: no target without a metric.
            models.CheckConstraint(
                condition=models.Q(target_value__isnull=True) | ~models.Q(metric=""),
                name="improvement_target_has_metric",
                violation_error_message=_("A target value needs the metric it is a value of."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AlertRule(models.Model):
    """Raise an alert when a figure over a rolling window crosses a threshold.

    Beat evaluates every active rule (surveys/services/alerts.py, docs/alerts.md). ``check``
    says what is watched: a metric of docs/metrics.md, or one of the two built-in checks
    (no responses while invitations were sent; sending failures above ``threshold`` %).
    ``is_firing`` and ``last_fired_at`` carry the state behind the cooldown and the recovery
    notice; ``last_*`` the figure of the latest evaluation, for the admin list.
    """

    name = models.CharField(_("name"), max_length=200)
    check_kind = models.CharField(
        _("check"), max_length=20, choices=AlertCheck.choices, default=AlertCheck.METRIC
    )
    metric = models.CharField(
        _("metric"), max_length=30, choices=Metric.choices, blank=True, help_text=_("For metric checks only.")
    )
    percentile = models.PositiveSmallIntegerField(
        _("percentile"),
        choices=AlertPercentile.choices,
        default=AlertPercentile.MEDIAN,
        help_text=_("For first-response and resolution time."),
    )
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.LT)
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=2, default=0)
    window_hours = models.PositiveIntegerField(_("rolling window (hours)"), default=24)
    min_n = models.PositiveIntegerField(
        _("minimum sample"),
        default=5,
        help_text=_("Not judged on fewer records (never fewer than the reports' minimum sample)."),
    )
    cooldown_minutes = models.PositiveIntegerField(
        _("cooldown (minutes)"),
        default=240,
        help_text=_("No new alert for this rule sooner than this after the last one."),
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=50, blank=True)
    recipients = models.TextField(_("recipients"), blank=True, help_text=_("Email addresses, one per line."))
    webhook_urls = models.TextField(
        _("incoming webhooks"),
        blank=True,
        help_text=_("Slack- or Teams-style incoming-webhook URLs, one per line."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_firing = models.BooleanField(_("firing"), default=False)
    last_fired_at = models.DateTimeField(_("last fired at"), null=True, blank=True)
    last_evaluated_at = models.DateTimeField(_("last evaluated at"), null=True, blank=True)
    last_figure = models.FloatField(_("last figure"), null=True, blank=True)
    last_n = models.PositiveIntegerField(_("last n"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(check_kind__in=AlertCheck.values), name="alert_check_valid"
            ),
            # A metric check names a metric (a count of responses is the built-in check's job,
            # which also looks at invitations); the built-in checks name none.
            models.CheckConstraint(
                condition=models.Q(check_kind=AlertCheck.METRIC, metric__in=Metric.values)
                & ~models.Q(metric=Metric.RESPONSES)
                | ~models.Q(check_kind=AlertCheck.METRIC) & models.Q(metric=""),
                name="alert_metric_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(comparison__in=Comparison.values), name="alert_comparison_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(percentile__in=AlertPercentile.values), name="alert_percentile_valid"
            ),
            models.CheckConstraint(condition=models.Q(window_hours__gte=1), name="alert_window_gte_1"),
            models.CheckConstraint(
                condition=~models.Q(recipients="") | ~models.Q(webhook_urls=""), name="alert_has_destination"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]

    @property
    def webhook_list(self) -> list[str]:
        return [line.strip() for line in self.webhook_urls.splitlines() if line.strip()]
