"""Invitations: one survey email (and its reminders) for one ticket cycle in one campaign."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .choices import Language
from .organisation import Customer
from .questionnaires import Questionnaire
from .tickets import Ticket


def new_token() -> str:
    """An unguessable, URL-safe public key (192 bits): the customer's only credential."""
    return secrets.token_urlsafe(24)


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class SuppressionReason(models.TextChoices):
    NO_EMAIL = "no_email", _("No email address")
    OPTED_OUT = "opted_out", _("Opted out")
    SNOOZED = "snoozed", _("Snoozed")
    THROTTLED = "throttled", _("Surveyed recently")
    SAMPLED_OUT = "sampled_out", _("Sampled out")
    DAILY_CAP = "daily_cap", _("Daily cap reached")
    COMPLAINT_OPEN = "complaint_open", _("Complaint still open")
    # The agent closed the ticket choosing not to e-mail the customer (django-helpdesk's
    # "Close (Don't Send E-Mail)", or a close with a private follow-up).
    NOT_CONTACTED = "not_contacted", _("Closed without contacting the customer")
    # A campaign of higher priority matched the same ticket cycle and decided for it.
    ANOTHER_CAMPAIGN = "another_campaign", _("Another campaign")


class Invitation(models.Model):
    # campaign and customer: no index of their own, the (…, sent_at) indexes below lead with
    # them (docs/design.md, "Indexes").
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invitations", db_index=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invitations", db_index=False)
    # The questionnaire version the invitation was sent with; answers are checked against it.
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="invitations")
    cycle = models.PositiveSmallIntegerField(_("ticket cycle"), default=1)
    # Unique by a constraint (Meta): unique=True would add, on PostgreSQL, a second index for
    # LIKE searches that nothing makes.
    token = models.CharField(_("token"), max_length=64, default=new_token, editable=False)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.EN)
    status = models.CharField(
        _("status"), max_length=12, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    suppression_reason = models.CharField(
        _("suppression reason"), max_length=20, choices=SuppressionReason.choices, blank=True
    )
    send_after = models.DateTimeField(_("send after"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("first sent at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    # SMTP tries actually made for the latest email (first send or reminder), kept as the
    # record once it is settled; a reminder's claim starts a new count (services/sending.py).
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    # A reminder failed for good (permanent SMTP error, attempts used up, customer blocked):
    # the invitation stays `sent` and gets no more reminders.
    reminders_stopped = models.BooleanField(_("reminders stopped"), default=False)
    last_error = models.TextField(_("last error"), blank=True)
    # Set on the re-survey a follow-up case sends after closing (services/followups.py):
    # the same campaign, ticket and cycle as the first invitation, so it is outside their
    # unique constraint.
    resurvey_of = models.OneToOneField(
        "surveys.FollowUp",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resurvey",
        verbose_name=_("re-survey of case"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["token"], name="invitation_token_unique"),
            models.UniqueConstraint(
                fields=["campaign", "ticket", "cycle"],
                condition=models.Q(resurvey_of__isnull=True),
                name="invitation_campaign_ticket_cycle_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
            # A suppressed invitation always says why; no other status carries a reason.
            models.CheckConstraint(
                condition=(
                    models.Q(status=InvitationStatus.SUPPRESSED, suppression_reason__in=SuppressionReason.values)
                    | (~models.Q(status=InvitationStatus.SUPPRESSED) & models.Q(suppression_reason=""))
                ),
                name="invitation_suppressed_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=InvitationStatus.SENT) | models.Q(sent_at__isnull=False),
                name="invitation_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=InvitationStatus.SENDING) | models.Q(claimed_at__isnull=False),
                name="invitation_sending_has_claim",
            ),
        ]
        indexes = [
            # The beat sweep of due invitations (status = scheduled, send_after <= now).
            models.Index(
                fields=["send_after"],
                condition=models.Q(status=InvitationStatus.SCHEDULED),
                name="invitation_due_idx",
            ),
            # The lease sweep of rows stuck in `sending`.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status=InvitationStatus.SENDING),
                name="invitation_sending_idx",
            ),
            # Response rate by period (invitations whose first send falls in it) and daily cap.
            models.Index(fields=["campaign", "sent_at"], name="invitation_campaign_sent_idx"),
            models.Index(fields=["sent_at"], name="invitation_sent_idx"),
            # Throttle: when was this customer last surveyed, in any campaign.
            models.Index(fields=["customer", "sent_at"], name="invitation_customer_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.ticket} ({self.get_status_display()})"
