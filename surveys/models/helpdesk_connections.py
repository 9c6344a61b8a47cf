"""A helpdesk that sends its own webhooks here (docs/integrations.md, "Native helpdesk webhooks").

Each connection has its own unguessable URL token (``/hooks/<kind>/<url_token>/``) and, where
the helpdesk signs its calls, the signing secret it shows its administrators. Tickets it
reports are keyed by the connection's ``source``, so two Zendesk accounts never share a ticket.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Language

URL_TOKEN_BYTES = 32  # 43 URL-safe characters: 256 bits, not guessable


def new_url_token() -> str:
    return secrets.token_urlsafe(URL_TOKEN_BYTES)


class HelpdeskKind(models.TextChoices):
    ZENDESK = "zendesk", _("Zendesk")
    FRESHDESK = "freshdesk", _("Freshdesk")
    ZAMMAD = "zammad", _("Zammad")
    CHATWOOT = "chatwoot", _("Chatwoot")


class HelpdeskConnection(models.Model):
    kind = models.CharField(_("helpdesk"), max_length=20, choices=HelpdeskKind.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("For people, e.g. “Zendesk EU”."))
    source = models.CharField(
        _("source"),
        max_length=100,
        unique=True,
        help_text=_(
            "The events' source: tickets are keyed by source + the helpdesk's ticket id. Never change it once events arrived."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "Zendesk: the webhook's signing secret; Zammad: the webhook's HMAC SHA1 signature token "
            "(until set, every call is refused). Chatwoot: the webhook's secret, if your version shows "
            "one. Freshdesk: the value of the X-Surveys-Secret header you add to the rule (optional)."
        ),
    )
    url_token = models.CharField(
        _("URL token"), max_length=64, unique=True, default=new_url_token, editable=False
    )
    default_team = models.CharField(
        _("default team"),
        max_length=100,
        blank=True,
        help_text=_("Used when an event names no group or team."),
    )
    default_category = models.CharField(_("default category"), max_length=100, blank=True)
    default_locale = models.CharField(
        _("default language"),
        max_length=10,
        choices=Language.choices,
        blank=True,
        help_text=_("Used when the helpdesk does not send the customer's language."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive connection's URL answers 404.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("helpdesk connection")
        verbose_name_plural = _("helpdesk connections")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=HelpdeskKind.values), name="helpdesk_connection_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def path(self) -> str:
        return f"/hooks/{self.kind}/{self.url_token}/"
