"""Sending invitations and reminders, and the beat sweeps that keep sending honest.

The row is the lock. A send claims its invitation with one conditional UPDATE
(``scheduled → sending``, or ``sent → sending`` for a reminder), talks SMTP outside any
transaction, then settles the claim with another conditional UPDATE that only matches the
claim it made. Two workers given the same id: one claims, the other does nothing. A worker
killed mid-send leaves the row in ``sending``; the lease sweep hands it back.

What cannot be closed by any sender is the gap between the SMTP server's "250 accepted" and
our UPDATE: a process killed exactly there sends again after the lease. Each invitation's
Message-ID is stable (derived from its token, not the token itself) so a receiving system can
drop such a duplicate.
"""

import contextlib
import enum
import hashlib
import logging
import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..emails import invitation_email_message, sample_invitation_build
from ..models import Campaign, Invitation, InvitationStatus, Response

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


class TransientSendError(Exception):
    """Worth trying again later: 4xx SMTP answers, refused or dropped connections, timeouts."""


class PermanentSendError(Exception):
    """Trying again cannot help: 5xx SMTP answers, no address."""


# --- SMTP ---------------------------------------------------------------------------------
def _smtp_reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}"


def smtp_error_classify(exc: Exception) -> Exception:
    """Map an exception from the mail backend to TransientSendError or PermanentSendError.

    Returns the exception unchanged when it is neither (a bug, not a delivery problem).
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        text = "; ".join(_smtp_reply(code, msg) for code, msg in replies)
        if replies and all(400 <= code < 500 for code, _msg in replies):
            return TransientSendError(text)
        return PermanentSendError(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _smtp_reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return TransientSendError(reply)
        if exc.smtp_code >= 500:
            return PermanentSendError(reply)
        return TransientSendError(reply)  # -1 and friends: the connection broke mid-reply
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError):
        return TransientSendError(f"{type(exc).__name__}: {exc}")
    return exc


class _Mailer(threading.local):
    """One SMTP connection per worker process (per thread, with a thread pool), reused while
    it is fresh.

    Opening a connection costs more than sending one message to a nearby relay; an idle
    connection is reopened rather than probed, since servers drop idle clients.
    """

    connection = None
    last_used = 0.0

    def send(self, message) -> None:
        now = time.monotonic()
        if self.connection is not None and now - self.last_used > settings.EMAIL_REUSE_SECONDS:
            self.close()
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        try:
            self.connection.send_messages([message])
        except BaseException:
            self.close()
            raise
        self.last_used = time.monotonic()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            # It is going away either way; a failing QUIT changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()


_mailer = _Mailer()


def message_id_for(invitation: Invitation, *, reminder: int) -> str:
    """A stable Message-ID per invitation and reminder number, revealing nothing of the token."""
    digest = hashlib.sha256(f"{invitation.token}:{reminder}".encode()).hexdigest()[:32]
    return f"<inv.{digest}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"


def _deliver(invitation: Invitation, *, reminder: bool) -> None:
    """Render and hand the email to SMTP. Raises TransientSendError or PermanentSendError."""
    try:
        message = invitation_email_message(invitation=invitation, reminder=reminder)
    except ValueError as exc:
        raise PermanentSendError(str(exc)) from exc
    message.extra_headers["Message-ID"] = message_id_for(
        invitation, reminder=invitation.reminders_sent + 1 if reminder else 0
    )
    _send_classified(message)


def _send_classified(message) -> None:
    try:
        _mailer.send(message)
    except Exception as exc:
        classified = smtp_error_classify(exc)
        if classified is exc:
            raise
        raise classified from exc


# --- Claims -------------------------------------------------------------------------------
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


def _reminder_due(invitation: Invitation, now) -> bool:
    campaign = invitation.campaign
    return (
        invitation.status == InvitationStatus.SENT
        and campaign.reminder_after_hours is not None
        and invitation.reminders_sent < campaign.max_reminders
        and invitation.attempts < settings.INVITATION_MAX_ATTEMPTS
        and invitation.last_sent_at is not None
        and invitation.last_sent_at + timedelta(hours=campaign.reminder_after_hours) <= now
        and invitation.send_after <= now
        and (invitation.expires_at is None or invitation.expires_at > now)
        and not Response.objects.filter(invitation_id=invitation.pk).exists()
    )


def _claim(invitation_id: int, now) -> tuple[Invitation | None, bool]:
    """Claim the invitation for this process. Returns (invitation, is_reminder) or (None, False)."""
    first = (
        Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.SCHEDULED, send_after__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(status=InvitationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if first:
        return _load(invitation_id), False
    invitation = _load(invitation_id)
    if invitation is None or not _reminder_due(invitation, now):
        return None, False
    # Compare-and-set on what we just read: a concurrent claim or answer changes one of these.
    won = Invitation.objects.filter(
        pk=invitation_id,
        status=InvitationStatus.SENT,
        reminders_sent=invitation.reminders_sent,
        last_sent_at=invitation.last_sent_at,
    ).update(status=InvitationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    if not won:
        return None, False
    return _load(invitation_id), True


def _load(invitation_id: int) -> Invitation | None:
    try:
        return Invitation.objects.select_related("campaign", "ticket", "customer", "questionnaire").get(
            pk=invitation_id
        )
    except Invitation.DoesNotExist:
        return None


def _settle(invitation: Invitation, **changes) -> bool:
    """Apply ``changes`` only if our claim still stands (the lease may have moved it on)."""
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.SENDING, claimed_at=invitation.claimed_at
        ).update(claimed_at=None, updated_at=timezone.now(), **changes)
    )


def retry_delay(attempts: int) -> float:
    """Exponential backoff after ``attempts`` failed tries, capped."""
    base = settings.INVITATION_RETRY_BASE_SECONDS
    return float(min(base * 2 ** max(attempts - 1, 0), settings.INVITATION_RETRY_MAX_SECONDS))


def invitation_send(*, invitation_id: int) -> SendResult:
    """Send the invitation's first email, or its next reminder when one is due; once.

    Claims the row by conditional UPDATE and does nothing when the claim fails (not due,
    already claimed or settled, answered, expired). Sends with no transaction open. Then:
    ``sent`` (``sent_at`` on the first send, ``reminders_sent + 1`` on a reminder);
    ``cancelled`` when the customer opted out, snoozed or was erased since scheduling;
    on a transient error back to ``scheduled`` (``sent`` for a reminder) with ``send_after``
    pushed back by exponential backoff, ``retry_in`` set; on a permanent error, or after
    INVITATION_MAX_ATTEMPTS tries, ``failed`` with the reason in ``last_error`` (a reminder
    instead stays ``sent`` and is not tried again).
    """
    now = timezone.now()
    invitation, reminder = _claim(invitation_id, now)
    if invitation is None:
        return SendResult(SendOutcome.SKIPPED)
    resting = InvitationStatus.SENT if reminder else InvitationStatus.SCHEDULED

    blocked = _customer_blocks(invitation, now)
    if blocked:
        status = InvitationStatus.SENT if reminder else InvitationStatus.CANCELLED
        _settle(invitation, status=status, last_error=blocked, attempts=settings.INVITATION_MAX_ATTEMPTS)
        return SendResult(SendOutcome.CANCELLED)

    try:
        _deliver(invitation, reminder=reminder)
    except TransientSendError as exc:
        return _after_transient(invitation, reminder=reminder, resting=resting, reason=str(exc))
    except PermanentSendError as exc:
        logger.warning("invitation %s: permanent send error: %s", invitation.pk, exc)
        return _give_up(invitation, reminder=reminder, reason=str(exc))
    except Exception as exc:
        # Not a delivery problem but a bug (a broken template…): retrying would repeat it.
        logger.exception("invitation %s: unexpected error while sending", invitation.pk)
        return _give_up(invitation, reminder=reminder, reason=f"{type(exc).__name__}: {exc}")

    sent_now = timezone.now()
    changes = {"status": InvitationStatus.SENT, "last_sent_at": sent_now, "last_error": "", "attempts": 0}
    if reminder:
        changes["reminders_sent"] = F("reminders_sent") + 1
    else:
        changes["sent_at"] = Coalesce(F("sent_at"), Value(sent_now))
        changes["expires_at"] = Coalesce(
            F("expires_at"), Value(sent_now + timedelta(days=invitation.campaign.link_expiry_days))
        )
    if not _settle(invitation, **changes):
        logger.warning("invitation %s: sent, but the lease had already returned the row", invitation.pk)
    return SendResult(SendOutcome.REMINDED if reminder else SendOutcome.SENT)


def _give_up(invitation: Invitation, *, reminder: bool, reason: str) -> SendResult:
    """A first send becomes ``failed``; a reminder leaves the invitation ``sent`` and, with its
    attempts used up, out of the reminder sweep."""
    status = InvitationStatus.SENT if reminder else InvitationStatus.FAILED
    _settle(
        invitation, status=status, last_error=reason[:_ERROR_MAX], attempts=settings.INVITATION_MAX_ATTEMPTS
    )
    return SendResult(SendOutcome.FAILED)


def _after_transient(invitation: Invitation, *, reminder: bool, resting: str, reason: str) -> SendResult:
    if invitation.attempts >= settings.INVITATION_MAX_ATTEMPTS:
        logger.warning(
            "invitation %s: giving up after %s attempts: %s", invitation.pk, invitation.attempts, reason
        )
        return _give_up(
            invitation, reminder=reminder, reason=f"gave up after {invitation.attempts} attempts: {reason}"
        )
    delay = retry_delay(invitation.attempts)
    reason = reason[:_ERROR_MAX]
    _settle(
        invitation, status=resting, last_error=reason, send_after=timezone.now() + timedelta(seconds=delay)
    )
    logger.info("invitation %s: transient error, retry in %ss: %s", invitation.pk, delay, reason)
    return SendResult(SendOutcome.RETRY, retry_in=delay)


# --- Sweeps (beat) ------------------------------------------------------------------------
def invitations_due_ids(*, limit: int, now=None) -> list[int]:
    """Ids of scheduled invitations whose send_after has passed, oldest first (reads only)."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(status=InvitationStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


def invitations_reminder_due_ids(*, limit: int, now=None) -> list[int]:
    """Ids of sent, unanswered, unexpired invitations whose next reminder is due (reads only).

    The send task re-checks everything when it claims the row.
    """
    now = now or timezone.now()
    # SQLite multiplies a duration only by a plain integer, hence the Cast.
    delay = ExpressionWrapper(
        Cast("campaign__reminder_after_hours", IntegerField()) * Value(timedelta(hours=1)),
        output_field=DurationField(),
    )
    due_at = ExpressionWrapper(F("last_sent_at") + delay, output_field=DateTimeField())
    return list(
        Invitation.objects.filter(
            status=InvitationStatus.SENT,
            campaign__reminder_after_hours__isnull=False,
            reminders_sent__lt=F("campaign__max_reminders"),
            attempts__lt=settings.INVITATION_MAX_ATTEMPTS,
            send_after__lte=now,
            response__isnull=True,
            customer__opted_out_at__isnull=True,
            customer__erased_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(customer__snoozed_until__isnull=True) | Q(customer__snoozed_until__lte=now))
        .alias(due_at=due_at)
        .filter(due_at__lte=now)
        .order_by("last_sent_at")
        .values_list("pk", flat=True)[:limit]
    )


def invitations_release_stuck(*, lease_seconds: int | None = None, now=None) -> int:
    """Return invitations in ``sending`` for longer than the lease; returns how many.

    A first send goes back to ``scheduled`` (due at once), a reminder back to ``sent``.
    """
    now = now or timezone.now()
    lease = settings.INVITATION_SENDING_LEASE_SECONDS if lease_seconds is None else lease_seconds
    stuck = Invitation.objects.filter(
        status=InvitationStatus.SENDING, claimed_at__lte=now - timedelta(seconds=lease)
    )
    released = stuck.filter(sent_at__isnull=True).update(
        status=InvitationStatus.SCHEDULED, claimed_at=None, updated_at=now
    )
    released += stuck.filter(sent_at__isnull=False).update(
        status=InvitationStatus.SENT, claimed_at=None, updated_at=now
    )
    if released:
        logger.warning("returned %s invitations stuck in sending past the %ss lease", released, lease)
    return released


def invitations_expire(*, now=None) -> int:
    """Set ``expired`` on scheduled or sent invitations whose link expiry has passed."""
    now = now or timezone.now()
    return Invitation.objects.filter(
        status__in=[InvitationStatus.SCHEDULED, InvitationStatus.SENT], expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED, claimed_at=None, updated_at=now)


def invitations_resend(*, invitation_ids: list[int]) -> list[int]:
    """Put the ``failed`` ones among ``invitation_ids`` back to ``scheduled``, due now, with a
    fresh set of attempts; others are left alone. Returns the ids put back.

    The caller enqueues the sends after commit; the due sweep sends them otherwise.
    """
    failed = Invitation.objects.filter(pk__in=invitation_ids, status=InvitationStatus.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids, status=InvitationStatus.FAILED).update(
        status=InvitationStatus.SCHEDULED,
        send_after=timezone.now(),
        attempts=0,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    return ids


def campaign_send_test(*, campaign: Campaign, email: str, language: str) -> None:
    """Email ``email`` the campaign's invitation for a sample ticket, rendered and sent the way
    real invitations are (same templates, same SMTP connection). Saves nothing.

    Raises TransientSendError or PermanentSendError with the server's answer.
    """
    invitation = sample_invitation_build(campaign=campaign, language=language)
    message = invitation_email_message(invitation=invitation)
    message.to = [email]
    with translation.override(language):
        message.subject = gettext("[Test] %(subject)s") % {"subject": message.subject}
    _send_classified(message)
