"""Outbound events: staff subscribe a URL to what happens here, and each event is POSTed to it,
signed, with its delivery log (docs/api.md, "Outbound events")."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SECRET_BYTES = 32
LAST_ERROR_MAX = 500
HTTP_URL = URLValidator(schemes=["http", "https"])


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(SECRET_BYTES)


class OutboundEvent(models.TextChoices):
    RESPONSE_CREATED = "response.created", _("A response was recorded (first score)")
    RESPONSE_COMPLETED = "response.completed", _("A response was completed (full submit)")
    FOLLOWUP_OPENED = "followup.opened", _("A follow-up case was opened")
    FOLLOWUP_CLOSED = "followup.closed", _("A follow-up case was closed")
    ALERT_FIRED = "alert.fired", _("An alert rule fired")
    # Sent only by "Send a test event"; nobody subscribes to it.
    PING = "ping", _("Test event (ping)")


SUBSCRIBABLE = [e for e in OutboundEvent if e != OutboundEvent.PING]


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERING = "delivering", _("Delivering")
    DELIVERED = "delivered", _("Delivered")
    # The receiver refused it (a 4xx other than 408/429, a redirect, a refused address):
    # retrying would not help.
    FAILED = "failed", _("Failed")
    GAVE_UP = "gave_up", _("Gave up (too many attempts)")


# Statuses a delivery is still moving through; they always have a next_attempt_at.
OPEN_DELIVERY_STATUSES = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.DELIVERING)


class WebhookSubscription(models.Model):
    """A URL that receives the chosen events, signed with this subscription's own secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=2000,
        validators=[HTTP_URL],
        help_text=_("http(s) only; the events are POSTed here."),
    )
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    include_comments = models.BooleanField(
        _("include comments"),
        default=False,
        help_text=_(
            "Send customers' free-text answers with response events (personal data: see docs/privacy.md)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.CheckConstraint(condition=~models.Q(secret=""), name="webhooksubscription_has_secret"),
            models.CheckConstraint(
                condition=models.Q(url__istartswith="http://") | models.Q(url__istartswith="https://"),
                name="webhooksubscription_url_http",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if not isinstance(self.events, list) or not self.events:
            raise ValidationError({"events": _("Choose at least one event.")})
        unknown = set(self.events) - set(SUBSCRIBABLE)
        if unknown:
            raise ValidationError(
                {"events": _("Unknown events: %(names)s") % {"names": ", ".join(sorted(unknown))}}
            )

    @property
    def secret_masked(self) -> str:
        return f"{self.secret[:10]}…{self.secret[-2:]}"


class WebhookDelivery(models.Model):
    """One event for one subscription: what is sent, and how each attempt went.

    ``next_attempt_at`` is when the row may next be claimed: for a pending row the retry
    time, for a delivering one the end of the worker's lease (a worker that died mid-send
    leaves a row the sweep claims again after it). Null once settled.
    """

    # No index of its own: webhookdelivery_event_once leads with it (docs/design.md, "Indexes").
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_type = models.CharField(_("event"), max_length=30, choices=OutboundEvent.choices)
    event_id = models.CharField(_("event id"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=LAST_ERROR_MAX, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhookdelivery_event_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=WebhookDeliveryStatus.values),
                name="webhookdelivery_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(event_type__in=OutboundEvent.values), name="webhookdelivery_event_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OPEN_DELIVERY_STATUSES, next_attempt_at__isnull=False)
                | (~models.Q(status__in=OPEN_DELIVERY_STATUSES) & models.Q(next_attempt_at__isnull=True)),
                name="webhookdelivery_open_has_next_attempt",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=WebhookDeliveryStatus.DELIVERED)
                | models.Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(last_status_code__isnull=True)
                | models.Q(last_status_code__range=(100, 599)),
                name="webhookdelivery_status_code_http",
            ),
        ]
        indexes = [
            # Used by the outbound sweep (services/outbound_delivery.py): open rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=OPEN_DELIVERY_STATUSES),
                name="webhookdelivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}: {self.get_status_display()}"
