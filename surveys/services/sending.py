"""Sending invitations and reminders: claim, SMTP, settle (the sweeps: sending_sweeps.py).

The row is the lock (sending_claims.py). A send claims its invitation (``scheduled →
sending``, or ``sent → sending`` for a reminder), talks SMTP outside any transaction, then
settles the claim with a conditional UPDATE that only matches the claim it made. Two workers
given the same id: one claims, the other does nothing. A worker killed mid-send leaves the row
in ``sending``; the lease sweep hands it back.

A send may claim a batch: its own invitation and other due first sends, in the same claim,
sent one after the other over one SMTP connection. Each is settled as soon as SMTP has
answered for it, so a worker killed mid-batch has sent exactly the settled ones; the rest,
still ``sending``, go back to the queue by the lease.

What cannot be closed by any sender is the gap between the SMTP server's "250 accepted" and
our UPDATE: a process killed exactly there sends again after the lease. Each invitation's
Message-ID is stable (derived from its token, not the token itself) so a receiving system can
drop such a duplicate.
"""

import enum
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from ..emails import invitation_email_message, invitation_first_question
from ..models import Invitation, InvitationStatus, Question
from ..selectors_brand import brand_current
from ..transient import PermanentSendError, TransientSendError
from .sending_claims import (
    claim_due,
    claim_reminder,
    claimed_load,
    customer_blocks,
    invitation_state,
    reminder_may_be_due,
    settle,
    settle_sent,
)
from .sending_smtp import message_send

logger = logging.getLogger(__name__)

_ERROR_MAX = 1000  # last_error keeps the start of the server's answer, not a whole transcript


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    REMINDED = "reminded"
    SKIPPED = "skipped"  # not ours to send: already claimed, sent, answered, not due…
    CANCELLED = "cancelled"  # the customer opted out or was erased after scheduling
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    # Seconds until the invitation is due again after a transient error, else None.
    retry_in: float | None = None
    # Every invitation of the batch (this one included) due again after a transient error:
    # id → seconds until then.
    retries: dict[int, float] = field(default_factory=dict)
    sent: int = 0  # emails accepted by SMTP in this call, the batch included


def message_id_for(invitation: Invitation, *, reminder: int) -> str:
    """A stable Message-ID per invitation and reminder number, revealing nothing of the token."""
    digest = hashlib.sha256(f"{invitation.token}:{reminder}".encode()).hexdigest()[:32]
    return f"<inv.{digest}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"


def _deliver(invitation: Invitation, *, reminder: bool, question, brand) -> None:
    """Render and hand the email to SMTP. Raises TransientSendError or PermanentSendError."""
    try:
        message = invitation_email_message(
            invitation=invitation, reminder=reminder, question=question, brand=brand
        )
    except ValueError as exc:
        raise PermanentSendError(str(exc)) from exc
    message.extra_headers["Message-ID"] = message_id_for(
        invitation, reminder=invitation.reminders_sent + 1 if reminder else 0
    )
    message_send(message)


def retry_delay(attempts: int) -> float:
    """Exponential backoff after ``attempts`` failed tries, capped."""
    base = settings.INVITATION_RETRY_BASE_SECONDS
    return float(min(base * 2 ** max(attempts - 1, 0), settings.INVITATION_RETRY_MAX_SECONDS))


def invitation_send(*, invitation_id: int, batch_size: int = 1) -> SendResult:
    """Send the invitation's first email, or its next reminder when one is due; once. With
    ``batch_size`` above 1, also send up to ``batch_size - 1`` other due first emails, oldest
    first (even when this invitation needs nothing, as long as others are due).

    Claims the rows by conditional UPDATE and does nothing with a row whose claim fails (not
    due, already claimed or settled, answered, expired). Sends with no transaction open, one
    email after the other over one SMTP connection, and settles each as soon as SMTP answers:
    ``sent`` (``sent_at`` on the first send, ``reminders_sent + 1`` on a reminder);
    ``cancelled`` when the customer opted out, snoozed or was erased since scheduling;
    on a transient error back to ``scheduled`` (``sent`` for a reminder) with ``send_after``
    pushed back by exponential backoff; on a permanent error, or after
    INVITATION_MAX_ATTEMPTS tries, ``failed`` with the reason in ``last_error`` (a reminder
    instead stays ``sent`` with ``reminders_stopped``). ``attempts`` is the number of tries
    actually made for the email, kept once it is settled. When the SMTP server is out of reach, the
    rest of the batch is rescheduled the same way without trying; past
    INVITATION_BATCH_SECONDS the rest is handed back untried, due at once.

    The result is for ``invitation_id`` (SKIPPED when another claim had it); ``retries`` and
    ``sent`` cover the whole batch.
    """
    now = timezone.now()
    state = invitation_state(invitation_id, now)
    if state is None:
        return SendResult(SendOutcome.SKIPPED)
    claimed: dict[int, Invitation] = {}
    if reminder_may_be_due(state, now):
        invitation = claim_reminder(invitation_id, now)
        if invitation is not None:
            claimed[invitation_id] = invitation
    reminder = invitation_id in claimed
    if state.status in (InvitationStatus.SCHEDULED, InvitationStatus.SENDING) or state.backlog:
        # Ours if it is still free, and others that are due: while a backlog lasts every
        # message sends a batch, whichever invitation it names. Once nothing is due, a message
        # whose invitation a batch has already sent stops at the one query above.
        claimed.update(claimed_load(claim_due(invitation_id, now, limit=batch_size - len(claimed))))
    if not claimed:
        return SendResult(SendOutcome.SKIPPED)
    # Our own invitation first: its message is what asked for this send.
    batch = sorted(claimed.values(), key=lambda invitation: invitation.pk != invitation_id)
    results = _send_batch(batch, reminder_id=invitation_id if reminder else None, now=now)
    own = results.get(invitation_id, SendResult(SendOutcome.SKIPPED))
    return SendResult(
        own.outcome,
        retry_in=own.retry_in,
        retries={pk: result.retry_in for pk, result in results.items() if result.retry_in is not None},
        sent=sum(result.outcome in (SendOutcome.SENT, SendOutcome.REMINDED) for result in results.values()),
    )


def _send_batch(batch: list[Invitation], *, reminder_id: int | None, now) -> dict[int, SendResult]:
    deadline = time.monotonic() + settings.INVITATION_BATCH_SECONDS
    questions: dict[int, Question | None] = {}  # the first question of each questionnaire
    brand = brand_current()  # once a batch: a cache read (one query when the cache is cold)
    results: dict[int, SendResult] = {}
    for position, invitation in enumerate(batch):
        reminder = invitation.pk == reminder_id
        if position and time.monotonic() > deadline:
            _release_untried(batch[position:])
            break
        blocked = customer_blocks(invitation, now)
        if blocked:
            # Nothing was tried: the claim's count of an attempt is taken back.
            if reminder:
                stop = {"status": InvitationStatus.SENT, "reminders_stopped": True}
            else:
                stop = {"status": InvitationStatus.CANCELLED}
            settle(invitation, last_error=blocked, attempts=F("attempts") - 1, **stop)
            results[invitation.pk] = SendResult(SendOutcome.CANCELLED)
            continue
        if invitation.questionnaire_id not in questions:
            questions[invitation.questionnaire_id] = invitation_first_question(invitation)
        try:
            question = questions[invitation.questionnaire_id]
            _deliver(invitation, reminder=reminder, question=question, brand=brand)
        except TransientSendError as exc:
            results[invitation.pk] = _after_transient(invitation, reminder=reminder, reason=str(exc))
            if exc.connection_lost:
                # The server is out of reach: the rest would only knock on the same door.
                for later in batch[position + 1 :]:
                    results[later.pk] = _after_transient(later, reminder=False, reason=str(exc))
                break
            continue
        except PermanentSendError as exc:
            logger.warning("invitation %s: permanent send error: %s", invitation.pk, exc)
            results[invitation.pk] = _give_up(invitation, reminder=reminder, reason=str(exc))
            continue
        except SoftTimeLimitExceeded:
            # The task ran out of time (settings keep a batch well inside the limit). This row
            # may or may not have gone out: the lease decides; the untried ones go back now.
            _release_untried(batch[position + 1 :])
            raise
        except Exception as exc:
            # Not a delivery problem but a bug (a broken template…): retrying would repeat it.
            logger.exception("invitation %s: unexpected error while sending", invitation.pk)
            results[invitation.pk] = _give_up(
                invitation, reminder=reminder, reason=f"{type(exc).__name__}: {exc}"
            )
            continue
        if not settle_sent(invitation, reminder=reminder):
            logger.warning("invitation %s: sent, but the lease had already returned the row", invitation.pk)
        results[invitation.pk] = SendResult(SendOutcome.REMINDED if reminder else SendOutcome.SENT)
    return results


def _release_untried(invitations: list[Invitation]) -> None:
    """Hand back first sends this batch had no time for: due at once, the attempt not counted."""
    released = Invitation.objects.filter(
        pk__in=[invitation.pk for invitation in invitations],
        status=InvitationStatus.SENDING,
        claimed_at=invitations[0].claimed_at,
        sent_at__isnull=True,
    ).update(
        status=InvitationStatus.SCHEDULED,
        claimed_at=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )
    logger.info("batch out of time: %s invitations handed back untried", released)


def _give_up(invitation: Invitation, *, reminder: bool, reason: str) -> SendResult:
    """A first send becomes ``failed``; a reminder leaves the invitation ``sent`` with
    ``reminders_stopped``, out of the reminder sweep. ``attempts`` keeps the tries actually
    made (the claim counted this one): 1 for a permanent error at the first try."""
    if reminder:
        stop = {"status": InvitationStatus.SENT, "reminders_stopped": True}
    else:
        stop = {"status": InvitationStatus.FAILED}
    settle(invitation, last_error=reason[:_ERROR_MAX], **stop)
    return SendResult(SendOutcome.FAILED)


def _after_transient(invitation: Invitation, *, reminder: bool, reason: str) -> SendResult:
    if invitation.attempts >= settings.INVITATION_MAX_ATTEMPTS:
        logger.warning(
            "invitation %s: giving up after %s attempts: %s", invitation.pk, invitation.attempts, reason
        )
        return _give_up(
            invitation, reminder=reminder, reason=f"gave up after {invitation.attempts} attempts: {reason}"
        )
    delay = retry_delay(invitation.attempts)
    reason = reason[:_ERROR_MAX]
    resting = InvitationStatus.SENT if reminder else InvitationStatus.SCHEDULED
    settle(
        invitation, status=resting, last_error=reason, send_after=timezone.now() + timedelta(seconds=delay)
    )
    logger.info("invitation %s: transient error, retry in %ss: %s", invitation.pk, delay, reason)
    return SendResult(SendOutcome.RETRY, retry_in=delay)
