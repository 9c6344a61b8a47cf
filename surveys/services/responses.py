"""Writes of customers' answers: the one-click score and the full submit.

Both run in one transaction that starts by updating the invitation row. That UPDATE takes the
row lock, so concurrent posts for one token queue up behind each other; the response is read
only after the lock is held, and the OneToOne constraint remains the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..answers import AnswerData
from ..models import (
    SCALE_RANGES,
    Answer,
    FollowUpReason,
    Invitation,
    InvitationStatus,
    Language,
    Question,
    QuestionKind,
    Response,
)
from .followups import followup_open
from .outbound import outbound_response_saved, outbound_subscriptions_active

# Statuses whose link still takes answers. `sending` and `scheduled` are included because a
# row can be returned to them by the lease sweep after the email actually went out.
OPEN_STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.SENDING,
    InvitationStatus.SCHEDULED,
    InvitationStatus.ANSWERED,
)
UNANSWERED_STATUSES = tuple(s for s in OPEN_STATUSES if s != InvitationStatus.ANSWERED)
DETRACTOR_MAX_NPS = 6
COMPLAINT_MAX_CSAT = 2
_SCORE_FIELDS = {
    QuestionKind.NPS: "nps_score",
    QuestionKind.CSAT: "csat_score",
    QuestionKind.CES: "ces_score",
}


class SurveyState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Already answered")
    EXPIRED = "expired", _("Expired")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    UNAVAILABLE = "unavailable", _("Unavailable")


class SurveyClosedError(Exception):
    """The invitation no longer takes answers; ``state`` says why."""

    def __init__(self, state: SurveyState):
        super().__init__(state)
        self.state = state


class ScoreInvalidError(ValueError):
    """The one-click score is outside the first question's scale, or there is no scale."""


def invitation_survey_state(
    *, invitation: Invitation, response: Response | None, now: datetime
) -> SurveyState:
    """Whether ``invitation`` takes answers at ``now``. Pure: reads only the objects given."""
    if response is not None and response.is_complete:
        return SurveyState.ANSWERED
    if invitation.status == InvitationStatus.CANCELLED:
        return SurveyState.CANCELLED
    if invitation.status == InvitationStatus.EXPIRED or (
        invitation.expires_at is not None and invitation.expires_at <= now
    ):
        return SurveyState.EXPIRED
    if invitation.status not in OPEN_STATUSES:
        # Suppressed or failed invitations were never delivered: their token was never given out.
        return SurveyState.UNAVAILABLE
    if not invitation.campaign.is_active:
        return SurveyState.PAUSED
    return SurveyState.OPEN


def is_detractor(response: Response) -> bool:
    return response.nps_score is not None and response.nps_score <= DETRACTOR_MAX_NPS


def _claim(invitation: Invitation, now: datetime) -> Response | None:
    """Lock the invitation row (marking it answered) and return its response, read after the lock."""
    if not invitation.campaign.is_active:
        raise SurveyClosedError(SurveyState.PAUSED)
    # The usual case in one statement: a link nobody has answered yet. A response is only ever
    # written in the transaction that sets `answered`, so a row still in an unanswered status
    # (re-checked by PostgreSQL after waiting for a concurrent claim) has none. Should that
    # rule ever be broken, the response's unique invitation refuses the second response below
    # (SurveyClosedError, nothing written); a NOT EXISTS here cost 0.4 ms a submit for it.
    # Tried only when the invitation was read without a response (the survey page's read
    # includes it): after a one-click score this UPDATE could only miss.
    if not _had_response(invitation) and _claim_unanswered(invitation.pk, now) == 1:
        return None
    claimed = (
        Invitation.objects.filter(pk=invitation.pk, status__in=OPEN_STATUSES)
        .exclude(expires_at__lte=now)
        .update(status=InvitationStatus.ANSWERED, updated_at=now)
    )
    return _claimed_response(invitation, claimed=claimed, judged_at=now)


def _had_response(invitation: Invitation) -> bool:
    """Whether the invitation had a response when it was read (a hint: read before the lock)."""
    try:
        return invitation.response is not None
    except Response.DoesNotExist:
        return False


def _claim_unanswered(invitation_id: int, now: datetime) -> int:
    """Mark a link nobody has answered yet as answered, in one UPDATE; how many rows it changed."""
    return (
        Invitation.objects.filter(pk=invitation_id, status__in=UNANSWERED_STATUSES)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(status=InvitationStatus.ANSWERED, updated_at=now)
    )


def _insert_answers(response: Response, answers: Sequence[AnswerData]) -> None:
    """All of a response's answers in one multi-row INSERT."""
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=a.question,
            kind=a.question.kind,
            number=a.number,
            choices=list(a.choices),
            text=a.text,
        )
        for a in answers
    )


def _apply_scores(response: Response, answers: Sequence[AnswerData], *, low_csat_is_complaint: bool) -> None:
    """Copy the first NPS / CSAT / CES answer onto the response and apply the complaint rule."""
    for name in _SCORE_FIELDS.values():
        setattr(response, name, None)
    complaint = False
    for answer in answers:
        name = _SCORE_FIELDS.get(answer.question.kind)
        if name and getattr(response, name) is None:
            setattr(response, name, answer.number)
        if answer.question.raises_complaint and answer.number == 1:
            complaint = True
    if (
        low_csat_is_complaint
        and response.csat_score is not None
        and response.csat_score <= COMPLAINT_MAX_CSAT
    ):
        complaint = True
    response.is_complaint = complaint


def _save(response: Response, *, created: bool, answers: Sequence[AnswerData], subscriptions=None) -> None:
    try:
        response.save(force_insert=created)
    except IntegrityError as exc:
        # Another request won where the row lock is a no-op (SQLite), or a response was written
        # against the `answered` rule (the claim trusts it: _claim): either way, answered.
        raise SurveyClosedError(SurveyState.ANSWERED) from exc
    if not created:
        Answer.objects.filter(response=response).delete()
    _insert_answers(response, answers)
    # docs/api.md, "Outbound events"
    outbound_response_saved(response=response, created=created, subscriptions=subscriptions)


def _language(language: str) -> str:
    return language if language in Language.values else Language.EN


def _claim_settled(invitation: Invitation, now: datetime, clicked_at: datetime) -> Response | None:
    """``_claim`` for a one-click score settled after its provisional window: the link is
    judged open as of ``clicked_at`` (it may have expired since, or its campaign paused)."""
    claimed = (
        Invitation.objects.filter(pk=invitation.pk, status__in=(*OPEN_STATUSES, InvitationStatus.EXPIRED))
        .exclude(expires_at__lte=clicked_at)
        .update(status=InvitationStatus.ANSWERED, updated_at=now)
    )
    return _claimed_response(invitation, claimed=claimed, judged_at=clicked_at)


def _claimed_response(invitation: Invitation, *, claimed: int, judged_at: datetime) -> Response | None:
    """After a claim's UPDATE: the invitation's response (None if it has none yet), or
    SurveyClosedError saying why the claim failed, judged at ``judged_at``."""
    if claimed != 1:
        invitation.refresh_from_db(fields=["status", "expires_at"])
        raise SurveyClosedError(invitation_survey_state(invitation=invitation, response=None, now=judged_at))
    response = Response.objects.filter(invitation=invitation).first()
    if response is not None and response.is_complete:
        raise SurveyClosedError(SurveyState.ANSWERED)
    return response


def response_record_score(
    *,
    invitation: Invitation,
    question: Question,
    score: int,
    language: str,
    clicked_at: datetime,
    first_clicked_at: datetime | None = None,
) -> Response:
    """Make a settled one-click score the invitation's partial response (one answer).

    Called by ``score_clicks_settle`` once a click's provisional window has passed without
    a scanner's pattern (services/score_clicks.py); customers' clicks go through
    ``score_click_record``. ``question`` must be the questionnaire's first question and a
    scale, ``score`` in its range, else ScoreInvalidError. Raises SurveyClosedError when the
    invitation did not take answers at ``clicked_at`` or has a complete response. A new
    response is dated ``first_clicked_at`` (default ``clicked_at``); it counts in NPS/CSAT
    (``is_complete`` stays false); alerts and follow-ups wait for the full submit. Returns
    the response.
    """
    scale = SCALE_RANGES.get(question.kind)
    if question.questionnaire_id != invitation.questionnaire_id or scale is None:
        raise ScoreInvalidError("the first question is not a scale of this questionnaire")
    if not scale[0] <= score <= scale[1]:
        raise ScoreInvalidError(f"score {score} outside {scale}")
    answers = [AnswerData(question=question, number=score)]
    now = timezone.now()
    with transaction.atomic():
        response = _claim_settled(invitation, now, clicked_at)
        created = response is None
        if created:
            response = Response(invitation=invitation, started_at=first_clicked_at or clicked_at)
        response.language = _language(language)
        _apply_scores(response, answers, low_csat_is_complaint=invitation.campaign.low_csat_is_complaint)
        _save(response, created=created, answers=answers)
    invitation.status = InvitationStatus.ANSWERED
    return response


def response_submit(*, invitation: Invitation, answers: Sequence[AnswerData], language: str) -> Response:
    """Store the full response: Response + Answers in one transaction, replacing a one-click one.

    ``answers`` come from a valid ``SurveyForm`` built on ``invitation.questionnaire`` (the
    version the invitation was sent with): that form is the validation, and the database's
    check constraints back it up. Sets the denormalised NPS / CSAT / CES scores and the
    complaint flag (a ticked complaint question, or CSAT ≤ 2 when the campaign says so), marks
    the invitation answered, and opens a FollowUp for a detractor or complaint when the
    campaign asks for one (never for a follow-up case's re-survey). Sends no alert: the caller
    enqueues it after the commit when ``notifications.response_alert_due`` says so.
    Raises SurveyClosedError when the invitation no longer takes answers, including when a
    concurrent submit won; nothing is written then. An invitation read with
    ``has_subscribers`` (``invitation_for_token(..., with_subscribers=True)``) spares the read
    of the outbound subscriptions when it is False. Returns the response.
    """
    now = timezone.now()
    campaign = invitation.campaign
    with transaction.atomic():
        response = _claim(invitation, now)
        created = response is None
        if created:
            response = Response(invitation=invitation, started_at=now)
        response.language = _language(language)
        response.is_complete = True
        response.submitted_at = now
        _apply_scores(response, answers, low_csat_is_complaint=campaign.low_csat_is_complaint)
        # Read once for the response's events and the follow-up's; not at all when the
        # invitation was read knowing that nobody subscribes (selectors.invitation_for_token).
        subscriptions = outbound_subscriptions_active() if getattr(invitation, "has_subscribers", True) else []
        _save(response, created=created, answers=answers, subscriptions=subscriptions)
        flagged = response.is_complaint or is_detractor(response)
        # A re-survey's answer is measured against its case (docs/follow-ups.md), not a new case.
        if flagged and campaign.create_followups and invitation.resurvey_of_id is None:
            reason = FollowUpReason.COMPLAINT if response.is_complaint else FollowUpReason.DETRACTOR
            followup_open(
                response=response,
                ticket_id=invitation.ticket_id,
                reason=reason,
                now=now,
                subscriptions=subscriptions,
            )
    invitation.status = InvitationStatus.ANSWERED
    return response
