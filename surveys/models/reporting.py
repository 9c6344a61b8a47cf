"""Reporting: API tokens for the JSON API, and the log of every data export."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that acts as its user on the JSON API.

    Only the SHA-256 of the key is stored: a database leak does not give API access, and the
    key is shown once, when it is created. ``prefix`` (the first characters) lets a person tell
    tokens apart.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses this token, e.g. BI dashboard.")
    )
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def set_new_key(self) -> str:
        """Give the token a fresh random key and return it; only its hash is kept."""
        key = secrets.token_urlsafe(32)
        self.prefix = key[:8]
        self.key_hash = token_hash(key)
        return key


class ExportKind(models.TextChoices):
    RESPONSES = "responses", _("Responses")
    TICKETS = "tickets", _("Tickets")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class DataExport(models.Model):
    """One download of responses or tickets: who, when, what and with which filters."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="data_exports"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ExportKind.choices)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ExportKind.values), name="export_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(format__in=ExportFormat.values), name="export_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.format} {self.created_at:%Y-%m-%d %H:%M}"
