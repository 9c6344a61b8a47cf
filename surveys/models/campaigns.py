"""Campaigns: when, to whom and how a questionnaire is sent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .questionnaires import Questionnaire, Translated


class CampaignTrigger(models.TextChoices):
    TICKET_CLOSED = "ticket_closed", _("Ticket closed")


class Campaign(Translated, models.Model):
    """Settings that turn closed tickets into invitations.

    Filters are lists; an empty list matches every ticket. The email templates use Django
    template syntax with ``customer_name``, ``ticket_subject`` and ``ticket_id`` available.
    """

    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="campaigns")
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=CampaignTrigger.choices, default=CampaignTrigger.TICKET_CLOSED
    )
    # One survey per ticket: when several active campaigns match a closed ticket, the first by
    # (priority, id) decides for it and the others are suppressed (services/invitations.py).
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_(
            "When several active campaigns match the same ticket, only the one with the lowest "
            "number surveys it (the oldest campaign on a tie); the others record “another campaign”."
        ),
    )

    filter_categories = models.JSONField(_("categories"), default=list, blank=True)
    filter_priorities = models.JSONField(_("priorities"), default=list, blank=True)
    filter_channels = models.JSONField(_("channels"), default=list, blank=True)
    filter_segments = models.JSONField(_("customer segments"), default=list, blank=True)

    delay_minutes = models.PositiveIntegerField(
        _("delay after closure (minutes)"), default=60, help_text=_("Time to wait after the ticket closes.")
    )
    sample_rate = models.PositiveSmallIntegerField(
        _("sample rate (%)"), default=100, help_text=_("Share of eligible tickets that get a survey.")
    )
    throttle_days = models.PositiveSmallIntegerField(
        _("throttle (days)"),
        default=30,
        help_text=_("Survey no customer more than once in this many days, across all campaigns. 0 = off."),
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), null=True, blank=True, help_text=_("Most invitations sent per day; empty = no cap.")
    )
    reminder_after_hours = models.PositiveSmallIntegerField(
        _("remind after (hours)"), null=True, blank=True, help_text=_("Empty = no reminders.")
    )
    max_reminders = models.PositiveSmallIntegerField(_("maximum reminders"), default=1)
    link_expiry_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)

    email_subject = models.CharField(_("email subject"), max_length=200)
    email_subject_zh_hans = models.CharField(_("email subject (Chinese)"), max_length=200, blank=True)
    email_body = models.TextField(_("email text"), help_text=_("Shown above the score links."))
    email_body_zh_hans = models.TextField(_("email text (Chinese)"), blank=True)
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_("Shown as the sender, with the sender email or, when that is empty, the site's address."),
    )
    sender_email = models.EmailField(
        _("sender email"), blank=True, help_text=_("Empty = the site's address (DEFAULT_FROM_EMAIL).")
    )

    low_csat_is_complaint = models.BooleanField(
        _("CSAT ≤ 2 counts as a complaint"), default=True
    )
    create_followups = models.BooleanField(
        _("open a follow-up case for detractors and complaints"), default=True
    )
    alert_recipients = models.TextField(
        _("detractor alert recipients"),
        blank=True,
        help_text=_("Email addresses, one per line, told of each detractor or complaint."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(sample_rate__lte=100), name="campaign_sample_rate_lte_100"),
            models.CheckConstraint(condition=models.Q(link_expiry_days__gte=1), name="campaign_expiry_gte_1"),
            models.CheckConstraint(condition=models.Q(daily_cap__gte=1), name="campaign_daily_cap_gte_1"),
            models.CheckConstraint(
                condition=models.Q(reminder_after_hours__gte=1), name="campaign_reminder_after_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="campaign_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.alert_recipients.splitlines() if line.strip()]
