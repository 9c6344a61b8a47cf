"""The emails sent to a customer from a follow-up case."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Language
from .responses import FollowUp


class FollowUpEmail(models.Model):
    """One email a case owner sent to the customer, kept as the case's record.

    Written only after the message was handed to the mail server
    (``followup_email_send``). Erasure blanks the address, subject and body.
    """

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="emails")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField(_("to"), blank=True)
    reply_to = models.EmailField(_("reply to"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.EN)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        verbose_name = _("follow-up email")
        verbose_name_plural = _("follow-up emails")

    def __str__(self) -> str:
        return f"email for case {self.followup_id}"
