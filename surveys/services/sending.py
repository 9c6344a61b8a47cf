"""Sending invitations and reminders: claim, SMTP, settle (the sweeps: sending_sweeps.py).

The row is the lock. A send claims its invitation with one conditional UPDATE
(``scheduled → sending``, or ``sent → sending`` for a reminder), talks SMTP outside any
transaction, then settles the claim with another conditional UPDATE that only matches the
claim it made. Two workers given the same id: one claims, the other does nothing. A worker
killed mid-send leaves the row in ``sending``; the lease sweep hands it back.

A send may claim a batch: its own invitation and other due first sends, in the same UPDATE,
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
from django.db import connection
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .. import rows
from ..emails import invitation_email_message, invitation_first_question
from ..models import Campaign, Invitation, InvitationStatus, Question, Response
from ..selectors_brand import brand_current
from .sending_smtp import PermanentSendError, TransientSendError, message_send

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


# --- Claims -------------------------------------------------------------------------------
# The claim and the settle of a first send run for every email, and the ORM spent more time
# compiling them than the database spent running them; so they are plain SQL (the same on
# PostgreSQL and SQLite but for the row locks, which SQLite's single writer makes moot).
_TABLE = Invitation._meta.db_table
_DUE = "status = 'scheduled' AND send_after <= %(now)s AND (expires_at IS NULL OR expires_at > %(now)s)"
# Table names come from the models and every value is a parameter (hence the noqa: S608).
_CLAIM_DUE = f"""
WITH own AS (SELECT id FROM {_TABLE} WHERE id = %(own)s AND {_DUE} {{lock}}),
more AS (SELECT id FROM {_TABLE} WHERE {_DUE} AND id <> %(own)s ORDER BY send_after LIMIT %(more)s {{lock}})
UPDATE {_TABLE} SET status = 'sending', claimed_at = %(now)s, attempts = attempts + 1, updated_at = %(now)s
WHERE id IN (SELECT id FROM own UNION ALL SELECT id FROM more) AND status = 'scheduled'
RETURNING id
"""  # noqa: S608
# The invitation's state, and whether any first send is due at all (the oldest due row's id:
# an ordered LIMIT 1, which the partial due index answers however stale the statistics).
_STATE = f"""
SELECT invitation.status, invitation.reminders_sent, invitation.last_sent_at,
    campaign.reminder_after_hours, campaign.max_reminders,
    (SELECT id FROM {_TABLE} WHERE {_DUE} ORDER BY send_after LIMIT 1) IS NOT NULL
FROM {_TABLE} invitation JOIN {Campaign._meta.db_table} campaign ON campaign.id = invitation.campaign_id
WHERE invitation.id = %(id)s
"""  # noqa: S608
_SETTLE_SENT = f"""
UPDATE {_TABLE} SET status = 'sent', claimed_at = NULL, updated_at = %(now)s, last_sent_at = %(now)s,
    last_error = '', sent_at = COALESCE(sent_at, %(now)s),
    expires_at = COALESCE(expires_at, %(expires_at)s)
WHERE id = %(id)s AND status = 'sending' AND claimed_at = %(claimed_at)s
"""  # noqa: S608


def _db_time(value):
    return connection.ops.adapt_datetimefield_value(value)


def _claim_due(invitation_id: int, now, *, limit: int) -> list[int]:
    """Claim ``invitation_id`` if it is a due first send, and up to ``limit - 1`` other due
    first sends, oldest first, skipping rows another claim holds. Returns the claimed ids."""
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_DUE.format(lock=lock),
            {"own": invitation_id, "now": _db_time(now), "more": max(limit - 1, 0)},
        )
        return [row[0] for row in cursor.fetchall()]


def _customer_blocks(invitation: Invitation, now) -> str:
    """Why this customer must not get the email now, or "" when they may."""
    customer = invitation.customer
    if customer.erased_at is not None or not customer.email:
        return "customer erased or without email"
    if customer.opted_out_at is not None:
        return "customer opted out"
    if customer.snoozed_until is not None and customer.snoozed_until > now:
        return "customer snoozed surveys"
    return ""


def _reminder_time_came(
    *, status, reminders_sent, last_sent_at, reminder_after_hours, max_reminders, now
) -> bool:
    """Sent, in a campaign that reminds, with reminders left, and last sent long enough ago."""
    return (
        status == InvitationStatus.SENT
        and reminder_after_hours is not None
        and reminders_sent < max_reminders
        and last_sent_at is not None
        and last_sent_at + timedelta(hours=reminder_after_hours) <= now
    )


def _reminder_due(invitation: Invitation, now) -> bool:
    campaign = invitation.campaign
    return (
        _reminder_time_came(
            status=invitation.status,
            reminders_sent=invitation.reminders_sent,
            last_sent_at=invitation.last_sent_at,
            reminder_after_hours=campaign.reminder_after_hours,
            max_reminders=campaign.max_reminders,
            now=now,
        )
        and (invitation.attempts < settings.INVITATION_MAX_ATTEMPTS or not invitation.last_error)
        and not invitation.reminders_stopped
        # The ticket was reopened since: that survey is withdrawn (invitations_cancel_pending).
        and invitation.cycle == invitation.ticket.cycle
        and invitation.send_after <= now
        and (invitation.expires_at is None or invitation.expires_at > now)
        and not Response.objects.filter(invitation_id=invitation.pk).exists()
    )


@dataclass(frozen=True)
class _State:
    status: str
    reminders_sent: int
    last_sent_at: object
    reminder_after_hours: int | None
    max_reminders: int
    backlog: bool  # some first send is due


def _state(invitation_id: int, now) -> _State | None:
    with connection.cursor() as cursor:
        cursor.execute(_STATE, {"id": invitation_id, "now": _db_time(now)})
        row = cursor.fetchone()
    return None if row is None else _State(*row)


def _reminder_may_be_due(state: _State, now) -> bool:
    """What the state row alone can tell of ``_reminder_due`` (the claim checks the rest)."""
    return _reminder_time_came(
        status=state.status,
        reminders_sent=state.reminders_sent,
        last_sent_at=rows.convert(Invitation, "last_sent_at", state.last_sent_at),
        reminder_after_hours=state.reminder_after_hours,
        max_reminders=state.max_reminders,
        now=now,
    )


# ``attempts`` counts the tries of the latest email and is kept once it went out (how many it
# took). A reminder's claim starts it afresh after a sent email (no ``last_error``) and adds
# one after a failed try of this same reminder.
NEXT_REMINDER_ATTEMPT = Case(When(last_error="", then=Value(1)), default=F("attempts") + 1)


def _claim_reminder(invitation_id: int, now) -> Invitation | None:
    """Claim the invitation's next reminder if it is due. Returns the claimed invitation."""
    invitation = _load([invitation_id]).get(invitation_id)
    if invitation is None or not _reminder_due(invitation, now):
        return None
    # Compare-and-set on what we just read: a concurrent claim or answer changes one of these.
    won = Invitation.objects.filter(
        pk=invitation_id,
        status=InvitationStatus.SENT,
        reminders_sent=invitation.reminders_sent,
        last_sent_at=invitation.last_sent_at,
    ).update(status=InvitationStatus.SENDING, claimed_at=now, attempts=NEXT_REMINDER_ATTEMPT, updated_at=now)
    if not won:
        return None
    return _load([invitation_id]).get(invitation_id)


# What rendering and settling an email read; the rest of the rows stays in the database.
_LOAD_FIELDS = (
    *("id", "campaign_id", "ticket_id", "customer_id", "questionnaire_id", "token", "language", "status"),
    *("send_after", "claimed_at", "sent_at", "last_sent_at", "expires_at", "reminders_sent", "attempts"),
    *("reminders_stopped", "last_error", "cycle"),
    *("ticket__subject", "ticket__external_id", "ticket__reference", "ticket__cycle"),
    *("customer__name", "customer__email", "customer__opted_out_at", "customer__snoozed_until"),
    "customer__erased_at",
)


def _load(ids: list[int]) -> dict[int, Invitation]:
    """The claimed invitations with their ticket and customer (one query) and their
    campaigns (one more), oldest first."""
    if not ids:
        return {}
    invitations = list(
        Invitation.objects.filter(pk__in=ids)
        .select_related("ticket", "customer")
        .only(*_LOAD_FIELDS)
        .order_by("send_after", "pk")
    )
    campaigns = Campaign.objects.in_bulk({invitation.campaign_id for invitation in invitations})
    for invitation in invitations:
        invitation.campaign = campaigns[invitation.campaign_id]
    return {invitation.pk: invitation for invitation in invitations}


def _settle(invitation: Invitation, **changes) -> bool:
    """Apply ``changes`` only if our claim still stands (the lease may have moved it on)."""
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.SENDING, claimed_at=invitation.claimed_at
        ).update(claimed_at=None, updated_at=timezone.now(), **changes)
    )


def _settle_sent(invitation: Invitation, *, reminder: bool) -> bool:
    sent_now = timezone.now()
    if reminder:
        return _settle(
            invitation,
            status=InvitationStatus.SENT,
            last_sent_at=sent_now,
            last_error="",
            reminders_sent=F("reminders_sent") + 1,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _SETTLE_SENT,
            {
                "id": invitation.pk,
                "now": _db_time(sent_now),
                "expires_at": _db_time(sent_now + timedelta(days=invitation.campaign.link_expiry_days)),
                "claimed_at": _db_time(invitation.claimed_at),
            },
        )
        return cursor.rowcount == 1


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
    state = _state(invitation_id, now)
    if state is None:
        return SendResult(SendOutcome.SKIPPED)
    claimed: dict[int, Invitation] = {}
    if _reminder_may_be_due(state, now):
        invitation = _claim_reminder(invitation_id, now)
        if invitation is not None:
            claimed[invitation_id] = invitation
    reminder = invitation_id in claimed
    if state.status in (InvitationStatus.SCHEDULED, InvitationStatus.SENDING) or state.backlog:
        # Ours if it is still free, and others that are due: while a backlog lasts every
        # message sends a batch, whichever invitation it names. Once nothing is due, a message
        # whose invitation a batch has already sent stops at the one query above.
        claimed.update(_load(_claim_due(invitation_id, now, limit=batch_size - len(claimed))))
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
        blocked = _customer_blocks(invitation, now)
        if blocked:
            # Nothing was tried: the claim's count of an attempt is taken back.
            if reminder:
                stop = {"status": InvitationStatus.SENT, "reminders_stopped": True}
            else:
                stop = {"status": InvitationStatus.CANCELLED}
            _settle(invitation, last_error=blocked, attempts=F("attempts") - 1, **stop)
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
        if not _settle_sent(invitation, reminder=reminder):
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
    _settle(invitation, last_error=reason[:_ERROR_MAX], **stop)
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
    _settle(
        invitation, status=resting, last_error=reason, send_after=timezone.now() + timedelta(seconds=delay)
    )
    logger.info("invitation %s: transient error, retry in %ss: %s", invitation.pk, delay, reason)
    return SendResult(SendOutcome.RETRY, retry_in=delay)
