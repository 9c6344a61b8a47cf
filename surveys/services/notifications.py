"""The detractor / complaint alert: one email to the campaign's recipients per response.

``Response.alerted_at`` is the claim that makes a re-delivered task a no-op (a conditional
UPDATE, like the invitations' claims); a transient send failure releases it so the retry can
send. The submit enqueues the alert after its commit; when that publish fails (the broker is
down) the alert sweep finds the response in the database and enqueues it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Response
from .responses import DETRACTOR_MAX_NPS, is_detractor
from .sending_smtp import TransientSendError, smtp_error_classify

logger = logging.getLogger(__name__)


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
    outside any transaction. Claims ``alerted_at`` before sending. A transient SMTP error
    releases the claim and propagates, so the task's retry (or the next alert sweep) sends;
    any other error keeps the claim (it would fail again) and propagates.
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
    claimed_at = timezone.now()
    if not Response.objects.filter(pk=response_id, alerted_at__isnull=True).update(alerted_at=claimed_at):
        logger.info("alert for response %s already sent", response_id)
        return False
    try:
        response_alert_message(response=response).send()
    except Exception as exc:
        if isinstance(smtp_error_classify(exc), TransientSendError):
            # Worth another try: by the task's retry, else by the next alert sweep.
            Response.objects.filter(pk=response_id, alerted_at=claimed_at).update(alerted_at=None)
        else:
            # A rejected address or a bug would fail the same way every minute: keep the claim.
            logger.warning("alert for response %s not sent, not retried: %s", response_id, exc)
        raise
    return True


def responses_alert_due_ids(*, limit: int, now: datetime | None = None) -> list[int]:
    """Ids of complete detractor or complaint responses not alerted yet, oldest first (reads
    only): submitted within ``ALERT_SWEEP_WINDOW_SECONDS`` and at least
    ``ALERT_SWEEP_GRACE_SECONDS`` ago (the message enqueued on commit goes first), in a
    campaign with recipients. ``response_alert_send`` re-checks everything when it claims."""
    now = now or timezone.now()
    return list(
        Response.objects.filter(
            Q(is_complaint=True) | Q(nps_score__lte=DETRACTOR_MAX_NPS),
            is_complete=True,
            alerted_at__isnull=True,
            submitted_at__gte=now - timedelta(seconds=settings.ALERT_SWEEP_WINDOW_SECONDS),
            submitted_at__lte=now - timedelta(seconds=settings.ALERT_SWEEP_GRACE_SECONDS),
        )
        .exclude(invitation__campaign__alert_recipients="")
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
