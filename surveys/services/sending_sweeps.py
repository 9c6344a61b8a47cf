"""The beat sweeps over invitation rows (due sends, reminders, stuck claims, expiry) and the
admin's resend and test send. Sending itself is surveys/services/sending.py.

The sweeps only read ids or run one set-based UPDATE each; the send task re-checks every row
when it claims it, so a sweep that overlaps another, or runs twice, changes nothing more.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..emails import invitation_email_message, sample_invitation_build
from ..models import Campaign, Invitation, InvitationStatus
from ..sample_links import TEST_PREFIX, sample_link_token
from .sending_claims import invitation_due
from .sending_smtp import message_send

logger = logging.getLogger(__name__)


# --- Sweeps (beat) ------------------------------------------------------------------------
def invitations_due_ids(*, limit: int, now=None) -> list[int]:
    """Ids of scheduled invitations whose send_after has passed and whose link has not expired,
    oldest first (reads only): the rows a send would claim."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(invitation_due(now))
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


def invitations_reminder_due_ids(*, limit: int, now=None) -> list[int]:
    """Ids of sent, unanswered, unexpired invitations of the ticket's current cycle whose next
    reminder is due (reads only).

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
            # A reopened ticket's earlier survey is withdrawn, never reminded of.
            cycle=F("ticket__cycle"),
            campaign__reminder_after_hours__isnull=False,
            reminders_sent__lt=F("campaign__max_reminders"),
            reminders_stopped=False,
            send_after__lte=now,
            response__isnull=True,
            customer__opted_out_at__isnull=True,
            customer__erased_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(customer__snoozed_until__isnull=True) | Q(customer__snoozed_until__lte=now))
        # Tries left for this reminder, or the last email went out (its count is a record).
        .filter(Q(attempts__lt=settings.INVITATION_MAX_ATTEMPTS) | Q(last_error=""))
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

    Its links carry a signed, expiring test token (sample_links.py) instead of an invitation's:
    they open the campaign's questionnaire at /s/test/<signed>/, which records nothing, and
    the unsubscribe link at /u/test/<signed>/ only says what it would do.

    Raises TransientSendError or PermanentSendError with the server's answer.
    """
    invitation = sample_invitation_build(campaign=campaign, language=language)
    # The links are built from the token: /s/<token>/ becomes /s/test/<signed>/.
    invitation.token = TEST_PREFIX + sample_link_token(
        campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language=language
    )
    message = invitation_email_message(invitation=invitation)
    message.to = [email]
    with translation.override(language):
        message.subject = gettext("[Test] %(subject)s") % {"subject": message.subject}
    message_send(message)
