"""The alert log: every message an alert rule produced, and where each copy went."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .goals import AlertRule


class AlertLogKind(models.TextChoices):
    FIRED = "fired", _("Fired")
    RECOVERED = "recovered", _("Recovered")
    TEST = "test", _("Test (not sent)")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Incoming webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertLog(models.Model):
    """One evaluation that said something: the figure, its n and window, and the message."""

    # No index of its own: alertlog_rule_idx leads with it (docs/design.md, "Indexes").
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="log", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=AlertLogKind.choices)
    fired_at = models.DateTimeField(_("at"))
    figure = models.FloatField(_("figure"), null=True, blank=True)
    n = models.PositiveIntegerField(_("n"))
    window_start = models.DateTimeField(_("window from"))
    window_end = models.DateTimeField(_("window until (exclusive)"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("alert log entry")
        verbose_name_plural = _("alert log")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AlertLogKind.values), name="alertlog_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")), name="alertlog_window_ordered"
            ),
        ]
        indexes = [models.Index(fields=["rule", "-fired_at"], name="alertlog_rule_idx")]

    def __str__(self) -> str:
        return f"{self.rule} {self.get_kind_display()} {self.fired_at:%Y-%m-%d %H:%M}"


class AlertDelivery(models.Model):
    """One copy of an alert to one destination (an email address or a webhook URL)."""

    log = models.ForeignKey(AlertLog, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel.choices)
    destination = models.CharField(_("destination"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=DeliveryChannel.values), name="alertdelivery_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="alertdelivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DeliveryStatus.SENT) | models.Q(sent_at__isnull=False),
                name="alertdelivery_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.destination}: {self.get_status_display()}"
