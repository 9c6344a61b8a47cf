"""Email to the customer from a follow-up case (docs/follow-ups.md)."""

import smtplib
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..emails import campaign_sender
from ..models import FollowUp, FollowUpEmail, FollowUpStatus
from .followups import followup_contact_record


class FollowUpEmailError(Exception):
    """The email could not go out; ``message`` says why, for the person sending it."""


@dataclass(frozen=True)
class EmailDraft:
    subject: str
    body: str
    language: str


def followup_language(followup: FollowUp) -> str:
    """The customer's language: the one they answered the survey in."""
    return followup.response.language or followup.response.invitation.customer.locale


def followup_email_draft(*, followup: FollowUp, sender) -> EmailDraft:
    """A subject and opening in the customer's language for the case's email form."""
    invitation = followup.response.invitation
    language = followup_language(followup)
    with translation.override(language):
        subject = _("About your request %(ticket)s") % {"ticket": invitation.ticket.external_id}
        greeting = (
            _("Hello %(name)s,") % {"name": invitation.customer.name}
            if invitation.customer.name
            else _("Hello,")
        )
        opening = _("Thank you for telling us about your experience with your request %(ticket)s.") % {
            "ticket": invitation.ticket.external_id
        }
        closing = _("Kind regards,")
    signature = sender.get_full_name() or sender.get_username()
    return EmailDraft(
        subject=subject, body=f"{greeting}\n\n{opening}\n\n\n{closing}\n{signature}", language=language
    )


def followup_email_send(*, followup: FollowUp, sender, subject: str, body: str) -> FollowUpEmail:
    """Email the case's customer, with Reply-To the case owner (or the sender when the case
    has no owner) so their answer reaches a person, and keep a copy on the case.

    Sends first, outside any transaction; the copy is written, and the first contact
    recorded (``followup_contact_record``), only once the mail server took the message.
    Raises FollowUpEmailError when the case is closed, the customer has no address (erased
    or never given), neither owner nor sender has an address, or the server refused.
    """
    invitation = followup.response.invitation
    customer = invitation.customer
    owner = followup.owner or sender
    if followup.status == FollowUpStatus.CLOSED:
        raise FollowUpEmailError(_("This case is closed: reopen it to write to the customer."))
    if not customer.email or customer.erased_at:
        raise FollowUpEmailError(_("This customer has no email address."))
    if not owner.email:
        raise FollowUpEmailError(_("The case owner has no email address for the customer's answer."))
    language = followup_language(followup)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        # From the campaign's sender, whom the customer already knows from the survey.
        from_email=campaign_sender(invitation.campaign),
        to=[customer.email],
        reply_to=[owner.email],
        headers={"Content-Language": language},
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise FollowUpEmailError(
            _("The mail server did not take the message: %(error)s") % {"error": exc}
        ) from exc
    sent_at = timezone.now()
    email = FollowUpEmail.objects.create(
        followup=followup,
        sender=sender,
        to_email=customer.email,
        reply_to=owner.email,
        language=language,
        subject=message.subject,
        body=body,
        sent_at=sent_at,
    )
    followup_contact_record(followup=followup, at=sent_at)
    return email
