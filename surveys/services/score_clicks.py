"""One-click scores judged before they count: a person, or a mail scanner opening the links?

``score_click_record`` stores every one-click save as a ScoreClick with its evidence and
applies the rules below; ``score_clicks_settle`` (beat, every minute) turns clicks whose
provisional window has passed into the invitation's partial Response, which is the only row
figures are computed from. The rules and the reasoning behind their defaults are in
docs/scanner-clicks.md:

- signature: the user agent contains one of ``SCANNER_USER_AGENTS``;
- full sweep: every score link of the email opened, in one burst or within the window;
- different scores: two different score links of one email opened within
  ``SCANNER_SWEEP_SECONDS`` of each other (every click of that burst is set aside);
- too soon: a score link opened less than ``SCANNER_MIN_SECONDS_AFTER_SEND`` after the email
  (or its reminder) was sent.

Burst and sweep rules look only at score links opened from the email (the page's script
saving ``?score=``): a person changing their mind on the page is not a scanner.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import (
    SCALE_RANGES,
    ClickReason,
    ClickSource,
    ClickVerdict,
    Invitation,
    Question,
    Response,
    ScoreClick,
)
from ..models.scanner import REASON_STRENGTH, USER_AGENT_MAX
from .responses import (
    OPEN_STATUSES,
    ScoreInvalidError,
    SurveyClosedError,
    SurveyState,
    invitation_survey_state,
    response_record_score,
)

logger = logging.getLogger(__name__)
SETTLE_BATCH = 1000


def client_network(address: str) -> str:
    """The client's network, never its address: ``a.b.c.0/24`` or the IPv6 ``/48``; "" if unknown."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _signature(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(part.strip() and part.strip().lower() in agent for part in settings.SCANNER_USER_AGENTS)


def _stronger(old: str, new: str) -> str:
    return new if REASON_STRENGTH.get(new, 0) > REASON_STRENGTH.get(old, 0) else old


def _lock_open(invitation: Invitation, now: datetime) -> None:
    """Take the invitation's row lock while it still takes answers, else SurveyClosedError.

    An UPDATE that changes nothing: concurrent clicks of one email queue up behind it (on
    SQLite it takes the write lock), so each is judged against every click before it.
    """
    if not invitation.campaign.is_active:
        raise SurveyClosedError(SurveyState.PAUSED)
    locked = (
        Invitation.objects.filter(pk=invitation.pk, status__in=OPEN_STATUSES)
        .exclude(expires_at__lte=now)
        .update(status=F("status"))
    )
    if locked != 1:
        invitation.refresh_from_db(fields=["status", "expires_at"])
        raise SurveyClosedError(invitation_survey_state(invitation=invitation, response=None, now=now))
    if Response.objects.filter(invitation=invitation, is_complete=True).exists():
        raise SurveyClosedError(SurveyState.ANSWERED)


def _set_aside(clicks: list[ScoreClick], reason: str) -> None:
    """Set ``clicks`` aside with ``reason``, keeping a stronger reason one already has."""
    by_reason: dict[str, list[int]] = {}
    for click in clicks:
        if click.verdict in (ClickVerdict.PROVISIONAL, ClickVerdict.SET_ASIDE):
            by_reason.setdefault(_stronger(click.reason, reason), []).append(click.pk)
    for final, ids in by_reason.items():
        ScoreClick.objects.filter(pk__in=ids).update(verdict=ClickVerdict.SET_ASIDE, reason=final)


def _judge(click: ScoreClick, *, scale_size: int, now: datetime) -> str:
    """Apply the rules to a new ``click`` (not yet saved); set earlier clicks of its burst
    aside where the pattern shows. Returns the new click's reason, "" when none fired."""
    reason = ClickReason.SIGNATURE if _signature(click.user_agent) else ""
    if click.source != ClickSource.LINK:
        return reason
    window = timedelta(seconds=settings.SCANNER_WINDOW_SECONDS)
    sweep = timedelta(seconds=settings.SCANNER_SWEEP_SECONDS)
    recent = list(
        ScoreClick.objects.filter(
            invitation_id=click.invitation_id, source=ClickSource.LINK, clicked_at__gte=now - window
        ).order_by("clicked_at", "pk")
    )
    burst = [c for c in recent if c.clicked_at >= now - sweep]
    click.nearby_clicks = min(len(burst), 32767)
    scores = {c.score for c in burst} | {click.score}
    if len(scores) > 1:
        found = ClickReason.FULL_SWEEP if len(scores) >= scale_size else ClickReason.DIFFERENT_SCORES
        _set_aside(burst, found)
        reason = _stronger(reason, found)
    # A slower sweep: every score link among the clicks still provisional.
    pending = [c for c in recent if c.verdict == ClickVerdict.PROVISIONAL and c.provisional_until > now]
    if len({c.score for c in pending} | {click.score}) >= scale_size > 1:
        _set_aside(pending, ClickReason.FULL_SWEEP)
        reason = _stronger(reason, ClickReason.FULL_SWEEP)
    if click.seconds_since_sent is not None and click.seconds_since_sent < settings.SCANNER_MIN_SECONDS_AFTER_SEND:
        reason = _stronger(reason, ClickReason.TOO_SOON)
    return reason


def score_click_record(
    *,
    invitation: Invitation,
    question: Question,
    score: int,
    language: str,
    source: str,
    user_agent: str,
    network: str,
) -> ScoreClick:
    """Store a one-click score with its evidence and judge it; nothing is counted yet.

    ``question`` must be the questionnaire's first question and a scale, ``score`` in its
    range, else ScoreInvalidError; SurveyClosedError when the invitation no longer takes
    answers. A click from the email's score link (``source`` "link") is provisional for
    ``SCANNER_WINDOW_SECONDS`` unless a rule sets it aside now; a click that completes a
    scanner's pattern also sets aside the earlier clicks of that pattern that are still
    provisional. A score chosen on the page (``source`` "page", also any unknown value) is a
    person's deliberate answer: only the signature rule applies, and it counts at once, as
    does a link click when the window is 0. Returns the click; what the rules decided is
    never shown to the client.
    """
    scale = SCALE_RANGES.get(question.kind)
    if question.questionnaire_id != invitation.questionnaire_id or scale is None:
        raise ScoreInvalidError("the first question is not a scale of this questionnaire")
    if not scale[0] <= score <= scale[1]:
        raise ScoreInvalidError(f"score {score} outside {scale}")
    now = timezone.now()
    sent = invitation.last_sent_at or invitation.sent_at
    click = ScoreClick(
        invitation=invitation,
        question=question,
        score=score,
        language=language,
        source=source if source in ClickSource.values else ClickSource.PAGE,
        clicked_at=now,
        seconds_since_sent=int((now - sent).total_seconds()) if sent else None,
        user_agent=user_agent[:USER_AGENT_MAX],
        network=network,
        provisional_until=now,
    )
    if click.source == ClickSource.LINK:
        click.provisional_until += timedelta(seconds=settings.SCANNER_WINDOW_SECONDS)
    with transaction.atomic():
        _lock_open(invitation, now)
        reason = _judge(click, scale_size=scale[1] - scale[0] + 1, now=now)
        if reason:
            click.verdict, click.reason = ClickVerdict.SET_ASIDE, reason
        click.save(force_insert=True)
        if reason:
            logger.info("score click %s set aside: %s", click.pk, reason)
        elif click.provisional_until <= now:
            _settle(invitation.pk, now)
    click.refresh_from_db(fields=["verdict", "reason"])
    return click


def _settle(invitation_id: int, now: datetime) -> int:
    """Settle one email's clicks whose window has passed; call inside a transaction."""
    Invitation.objects.filter(pk=invitation_id).update(status=F("status"))  # the row lock, as above
    clicks = ScoreClick.objects.filter(invitation_id=invitation_id)
    due = list(
        clicks.filter(verdict=ClickVerdict.PROVISIONAL, provisional_until__lte=now).order_by("clicked_at", "pk")
    )
    if not due:
        return 0
    # The latest score not set aside wins, so an older link click settling later never
    # overwrites a change the person made on the page meanwhile.
    latest = (
        clicks.filter(Q(verdict=ClickVerdict.COUNTED) | Q(pk__in=[c.pk for c in due]))
        .select_related("question")
        .order_by("-clicked_at", "-pk")
        .first()
    )
    invitation = Invitation.objects.select_related("campaign").get(pk=invitation_id)
    verdict = ClickVerdict.COUNTED
    try:
        response_record_score(
            invitation=invitation,
            question=latest.question,
            score=latest.score,
            language=latest.language,
            clicked_at=latest.clicked_at,
            first_clicked_at=due[0].clicked_at,
        )
    except SurveyClosedError as closed:
        # A full answer came first: it counts instead. Otherwise the survey was withdrawn.
        if closed.state != SurveyState.ANSWERED:
            verdict = ClickVerdict.CLOSED
    ScoreClick.objects.filter(pk__in=[c.pk for c in due]).update(verdict=verdict)
    return len(due)


def score_clicks_settle(*, now: datetime | None = None, limit: int = SETTLE_BATCH) -> int:
    """Count the one-click scores whose provisional window has passed and that were not set
    aside: each email's latest such score becomes (or changes) its partial Response, dated
    by its first such click, and the clicks become ``counted``. If the survey was answered
    in full meanwhile, that answer stands; if it was withdrawn, the clicks become ``closed``.
    One transaction per email, each holding its row lock. Idempotent; returns the number of
    clicks settled (at most ``limit`` emails per run, the rest next run)."""
    now = now or timezone.now()
    invitation_ids = list(
        ScoreClick.objects.filter(verdict=ClickVerdict.PROVISIONAL, provisional_until__lte=now)
        .order_by()
        .values_list("invitation_id", flat=True)
        .distinct()[:limit]
    )
    settled = 0
    for invitation_id in invitation_ids:
        with transaction.atomic():
            settled += _settle(invitation_id, now)
    return settled
