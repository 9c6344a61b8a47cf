"""The detractor / complaint alert: one email to the campaign's recipients per response.

There is no "alerted at" column, so the shared cache holds the claim that makes a re-delivered
task a no-op; a transient send failure releases it so the retry can send.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Response
from .responses import is_detractor

logger = logging.getLogger(__name__)
CLAIM_SECONDS = 30 * 24 * 3600


def _claim_key(response_id: int) -> str:
    return f"response-alert:{response_id}"


def _answer_lines(response: Response, language: str) -> list[str]:
    lines = []
    for answer in response.answers.all():
        question = answer.question
        if answer.number is not None:
            value = str(answer.number)
        elif answer.choices:
            value = ", ".join(question.choice_label(c, language) for c in answer.choices)
        else:
            value = answer.text
        lines.append(f"- {question.tr('text', language)}: {value}")
    return lines


def response_alert_message(*, response: Response) -> EmailMessage:
    """The alert email (plain text, in the site language) for a detractor or complaint response."""
    invitation = response.invitation
    ticket = invitation.ticket
    with translation.override(settings.LANGUAGE_CODE):
        if response.is_complaint:
            subject = _("Complaint from %(customer)s about ticket %(ticket)s")
        else:
            subject = _("Detractor (NPS %(score)s) from %(customer)s about ticket %(ticket)s")
        subject = subject % {
            "customer": invitation.customer.name or invitation.customer.email,
            "ticket": ticket.external_id,
            "score": response.nps_score,
        }
        link = settings.SITE_URL + reverse("admin:surveys_response_change", args=[response.pk])
        body = "\n".join(
            [
                _("Campaign: %(campaign)s") % {"campaign": invitation.campaign.name},
                _("Ticket: %(ticket)s (%(subject)s)")
                % {"ticket": ticket.external_id, "subject": ticket.subject},
                "",
                *_answer_lines(response, settings.LANGUAGE_CODE),
                "",
                _("Open the response: %(link)s") % {"link": link},
            ]
        )
    subject = " ".join(subject.split())
    return EmailMessage(subject=subject, body=body, to=invitation.campaign.recipient_list)


def response_alert_send(*, response_id: int) -> bool:
    """Email the campaign's recipients about a detractor or complaint response, at most once.

    Returns True when an email went out; False when the response is gone, is neither a
    detractor nor a complaint, has no recipients, or was already alerted. Must be called
    outside any transaction. Transient SMTP errors propagate (the claim is released first)
    so the task can retry them.
    """
    response = (
        Response.objects.select_related("invitation__campaign", "invitation__ticket", "invitation__customer")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
    if response is None or not (response.is_complaint or is_detractor(response)):
        return False
    if not response.invitation.campaign.recipient_list:
        return False
    if not cache.add(_claim_key(response_id), 1, CLAIM_SECONDS):
        logger.info("alert for response %s already sent", response_id)
        return False
    try:
        response_alert_message(response=response).send()
    except BaseException:
        cache.delete(_claim_key(response_id))
        raise
    return True
