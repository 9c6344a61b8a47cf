"""The detractor / complaint alert: one email per recipient of the campaign, per response.

Full submissions alert at once: the survey view enqueues the task after ``response_submit``
commits, when ``response_alert_due`` says so (tasks and views import services;
``services.responses`` imports no task). A response that only one-clicked alerts once its
click has settled (``one_click_alert_due``).
Each alert is claimed in the database before its emails go out — ``Response.alerted_at`` for
the submission's, ``Response.one_click_alerted_at`` for the one-click one — by a conditional
UPDATE, so a re-delivered task or a repeated sweep sends nothing twice, and nothing depends on
Redis. A transient SMTP failure releases the claim so the retry (or the next sweep) sends; when
the broker is down at publish time, the beat sweeps find the response in the database and
enqueue it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import FollowUp, QuestionKind, Response
from ..transient import TransientSendError, smtp_error_classify
from .responses import DETRACTOR_MAX_NPS, is_detractor

logger = logging.getLogger(__name__)


def _answer_value(answer, language: str) -> str:
    """What the customer picked, as they saw it: "Yes", a choice's label, a score, a text."""
    question = answer.question
    if answer.kind == QuestionKind.YES_NO and answer.number is not None:
        return _("Yes") if answer.number == 1 else _("No")
    if answer.number is not None:
        low, high = question.scale or (None, None)
        return f"{answer.number} ({low}–{high})" if high is not None else str(answer.number)
    if answer.choices:
        return ", ".join(question.choice_label(c, language) for c in answer.choices)
    return answer.text


def _answer_lines(response: Response, language: str) -> list[str]:
    return [f"- {a.question.tr('text', language)}: {_answer_value(a, language)}" for a in response.answers.all()]


def response_alert_due(*, response: Response, campaign) -> bool:
    """Whether a just-submitted response alerts the campaign's recipients: a detractor or a
    complaint, and someone to tell. Pure: reads only the objects given."""
    return (response.is_complaint or is_detractor(response)) and bool(campaign.recipient_list)


def response_alert_messages(*, response: Response) -> list[EmailMessage]:
    """The alert emails (plain text, in the site language) for a detractor or complaint
    response: one per recipient, so no recipient sees the others' addresses."""
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
        case_id = FollowUp.objects.filter(response=response).values_list("pk", flat=True).first()
        if case_id is not None:
            # The case is where the owner works it (docs/follow-ups.md); without one, the admin.
            link = settings.SITE_URL + reverse("surveys:case_detail", args=[case_id])
            link_text = _("Open the follow-up case: %(link)s")
        else:
            link = settings.SITE_URL + reverse("admin:surveys_response_change", args=[response.pk])
            link_text = _("Open the response: %(link)s")
        lines = [
            _("Campaign: %(campaign)s") % {"campaign": invitation.campaign.name},
            _("Ticket: %(ticket)s (%(subject)s)") % {"ticket": ticket.external_id, "subject": ticket.subject},
        ]
        if not response.is_complete:
            lines.append(_("Only the one-click score was given; the rest of the survey was not submitted."))
        body = "\n".join(
            [
                *lines,
                "",
                *_answer_lines(response, settings.LANGUAGE_CODE),
                "",
                link_text % {"link": link},
            ]
        )
    subject = " ".join(subject.split())
    return [EmailMessage(subject=subject, body=body, to=[to]) for to in invitation.campaign.recipient_list]


def response_alert_send(*, response_id: int, one_click: bool = False) -> bool:
    """Email each of the campaign's recipients about a detractor or complaint response, at most
    once per response (and once more for its one-click alert when ``one_click``).

    Returns True when the emails went out; False when the response is gone, is neither a
    detractor nor a complaint, has no recipients, was already alerted, or — for a one-click
    alert — was submitted in full meanwhile (the submit alerts itself). Must be called outside
    any transaction. Claims ``alerted_at`` (``one_click_alerted_at``) before sending. A
    transient SMTP error releases the claim and propagates, so the task's retry (or the next
    sweep) sends — and may repeat the emails that went out before the error; any other error
    keeps the claim (it would fail the same way every minute) and propagates.
    """
    response = (
        Response.objects.select_related("invitation__campaign", "invitation__ticket", "invitation__customer")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
    if response is None or not (response.is_complaint or is_detractor(response)):
        return False
    if one_click and response.is_complete:
        return False
    if not response.invitation.campaign.recipient_list:
        return False
    claim = "one_click_alerted_at" if one_click else "alerted_at"
    claimed_at = timezone.now()
    if not Response.objects.filter(pk=response_id, **{f"{claim}__isnull": True}).update(**{claim: claimed_at}):
        logger.info("alert for response %s already sent", response_id)
        return False
    try:
        # One connection for all recipients' messages.
        get_connection().send_messages(response_alert_messages(response=response))
    except Exception as exc:
        classified = smtp_error_classify(exc)
        if isinstance(classified, TransientSendError):
            # Released for the retry (surveys/transient.py: the task retries on RETRY_ON).
            Response.objects.filter(pk=response_id, **{claim: claimed_at}).update(**{claim: None})
            raise classified from exc
        logger.warning("alert for response %s not sent, not retried: %s", response_id, exc)
        raise
    return True


def one_click_alert_due(*, now: datetime) -> QuerySet[Response]:
    """Responses that only one-clicked a detractor score or a complaint, whose last click is
    older than ``ONE_CLICK_ALERT_DELAY_SECONDS`` (no longer provisional), and that were not
    alerted yet. Clicks older than ``ONE_CLICK_ALERT_MAX_AGE_HOURS`` are left alone, so
    turning the feature on does not alert on old history.

    The one place that decides which clicks count for an alert. A click set aside as a likely
    mail-scanner click never becomes a Response (services/score_clicks.py), so it cannot alert;
    a counted click's Response is written when its provisional window has passed, and the
    delay runs from then.
    """
    settled = now - timedelta(seconds=settings.ONE_CLICK_ALERT_DELAY_SECONDS)
    oldest = now - timedelta(hours=settings.ONE_CLICK_ALERT_MAX_AGE_HOURS)
    return (
        Response.objects.filter(
            is_complete=False, one_click_alerted_at__isnull=True, updated_at__lte=settled, updated_at__gt=oldest
        )
        .filter(Q(is_complaint=True) | Q(nps_score__lte=DETRACTOR_MAX_NPS))
        .exclude(invitation__campaign__alert_recipients="")
    )


def one_click_alert_due_ids(*, limit: int, now: datetime | None = None) -> list[int]:
    """Ids of the one-click responses due an alert (``one_click_alert_due``), oldest first.
    Reads only: ``response_alert_send`` claims each when it sends."""
    now = now or timezone.now()
    return list(one_click_alert_due(now=now).order_by("updated_at").values_list("pk", flat=True)[:limit])


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
