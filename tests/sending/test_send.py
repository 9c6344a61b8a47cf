"""invitation_send: claim once, send outside transactions, settle by what SMTP answered."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.services.sending import SendOutcome, invitation_send, message_id_for, retry_delay
from surveys.transient import PermanentSendError, TransientSendError, smtp_error_classify
from tests.factories import CustomerFactory, TicketFactory

from .conftest import due_invitation, smtp_reply

pytestmark = pytest.mark.django_db


def test_due_invitation_is_sent_once_with_links_and_headers(campaign, settings):
    settings.SITE_URL = "https://surveys.example.com"
    invitation = due_invitation(campaign)

    first = invitation_send(invitation_id=invitation.pk)
    second = invitation_send(invitation_id=invitation.pk)

    assert (first.outcome, second.outcome) == (SendOutcome.SENT, SendOutcome.SKIPPED)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invitation.customer.email]
    assert f"https://surveys.example.com/s/{invitation.token}/?score=10" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<https://surveys.example.com/u/{invitation.token}/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == message_id_for(invitation, reminder=0)
    assert invitation.token not in message.extra_headers["Message-ID"]
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT
    assert invitation.sent_at is not None and invitation.last_sent_at == invitation.sent_at
    assert invitation.expires_at == invitation.sent_at + timedelta(days=14)
    assert (invitation.attempts, invitation.claimed_at, invitation.last_error) == (1, None, "")


def test_invitation_not_yet_due_is_left_for_later(campaign):
    invitation = due_invitation(campaign, send_after=timezone.now() + timedelta(minutes=5))
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SCHEDULED
    assert mail.outbox == []


def test_invitation_claimed_by_another_worker_is_not_sent_again(campaign):
    invitation = due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []


@pytest.mark.parametrize(
    "status", [m.InvitationStatus.CANCELLED, m.InvitationStatus.EXPIRED, m.InvitationStatus.FAILED]
)
def test_settled_invitations_are_never_sent(campaign, status):
    invitation = due_invitation(campaign, status=status)
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []


def test_unknown_invitation_id_is_skipped():
    assert invitation_send(invitation_id=987654).outcome == SendOutcome.SKIPPED


def test_expired_link_is_not_sent(campaign):
    invitation = due_invitation(campaign, expires_at=timezone.now() - timedelta(minutes=1))
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []


@pytest.mark.parametrize(
    "customer_kwargs",
    [
        {"opted_out_at": timezone.now()},
        {"snoozed_until": timezone.now() + timedelta(days=3)},
        {"email": None},
    ],
    ids=["opted-out", "snoozed", "no-email"],
)
def test_customer_who_said_no_after_scheduling_is_cancelled_not_mailed(campaign, customer_kwargs):
    ticket = TicketFactory(customer=CustomerFactory(**customer_kwargs))
    invitation = due_invitation(campaign, ticket=ticket)
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.CANCELLED
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED
    assert invitation.last_error
    assert invitation.attempts == 0  # nothing was tried
    assert mail.outbox == []


def test_chinese_customer_gets_the_chinese_email(campaign):
    campaign.email_subject_zh_hans = "您的工单 {{ ticket_id }}"
    campaign.save()
    invitation = due_invitation(campaign, language=m.Language.ZH_HANS)
    invitation_send(invitation_id=invitation.pk)
    assert mail.outbox[0].subject == f"您的工单 {invitation.ticket.external_id}"
    html = mail.outbox[0].alternatives[0][0]
    assert 'lang="zh-hans"' in html


# --- transient and permanent errors -------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        smtp_reply(421, "try again later"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPServerDisconnected("gone"),
        smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"mailbox busy")}),
    ],
    ids=["421", "refused", "timeout", "disconnected", "rcpt-450"],
)
def test_transient_error_reschedules_with_backoff(campaign, smtp_script, settings, error):
    settings.INVITATION_RETRY_BASE_SECONDS = 30
    invitation = due_invitation(campaign)
    smtp_script.append(error)

    before = timezone.now()
    result = invitation_send(invitation_id=invitation.pk)

    assert result.outcome == SendOutcome.RETRY and result.retry_in == 30
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SCHEDULED
    assert invitation.attempts == 1 and invitation.claimed_at is None and invitation.sent_at is None
    assert invitation.send_after >= before + timedelta(seconds=30)
    assert invitation.last_error
    assert mail.outbox == []


def test_retry_after_backoff_sends_once_and_clears_the_error(campaign, smtp_script, settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 30
    invitation = due_invitation(campaign)
    smtp_script.extend([smtp_reply(421), smtp_reply(451)])

    assert invitation_send(invitation_id=invitation.pk).retry_in == 30
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).retry_in == 60  # backoff doubles
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SENT

    invitation.refresh_from_db()
    # attempts records the tries it took; the error is cleared once it went out.
    assert (invitation.status, invitation.attempts, invitation.last_error) == (m.InvitationStatus.SENT, 3, "")
    assert len(mail.outbox) == 1


def test_transient_errors_give_up_after_max_attempts(campaign, smtp_script, settings):
    settings.INVITATION_MAX_ATTEMPTS = 2
    invitation = due_invitation(campaign)
    smtp_script.extend([smtp_reply(421), smtp_reply(421)])

    invitation_send(invitation_id=invitation.pk)
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    result = invitation_send(invitation_id=invitation.pk)

    assert result.outcome == SendOutcome.FAILED and result.retry_in is None
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.FAILED
    assert invitation.last_error.startswith("gave up after 2 attempts: 421")
    assert invitation.attempts == 2


@pytest.mark.parametrize(
    "error, reason",
    [
        (smtp_reply(550, "no such user"), "550 no such user"),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 unknown")}), "550 5.1.1 unknown"),
        (smtplib.SMTPSenderRefused(553, b"sender rejected", "x@example.com"), "553 sender rejected"),
    ],
    ids=["data-550", "rcpt-550", "sender-553"],
)
def test_permanent_error_fails_with_the_reason_and_no_retry(campaign, smtp_script, error, reason):
    invitation = due_invitation(campaign)
    smtp_script.append(error)

    result = invitation_send(invitation_id=invitation.pk)

    assert result.outcome == SendOutcome.FAILED and result.retry_in is None
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.FAILED
    assert invitation.last_error == reason
    assert invitation.claimed_at is None
    assert invitation.attempts == 1  # the one try actually made
    # A failed invitation is not picked up again, whatever runs next.
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


def test_unexpected_error_fails_instead_of_looping(campaign, smtp_script):
    invitation = due_invitation(campaign)
    smtp_script.append(RuntimeError("bug in a backend"))
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.FAILED
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.FAILED
    assert invitation.last_error == "RuntimeError: bug in a backend"


def test_lease_returned_row_is_not_overwritten_by_a_late_settle(campaign, smtp_script):
    """If the lease handed the row on while SMTP was slow, the slow send must not settle it."""
    invitation = due_invitation(campaign)

    class StealDuringSend(Exception):
        pass

    def steal(*args, **kwargs):
        m.Invitation.objects.filter(pk=invitation.pk).update(
            status=m.InvitationStatus.SENDING, claimed_at=timezone.now() + timedelta(seconds=5)
        )
        raise smtp_reply(550)

    from tests.sending.conftest import ScriptedBackend

    original = ScriptedBackend.send_messages
    ScriptedBackend.send_messages = steal
    try:
        invitation_send(invitation_id=invitation.pk)
    finally:
        ScriptedBackend.send_messages = original
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENDING  # the newer claim stands


def test_retry_delay_doubles_and_is_capped(settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 60
    settings.INVITATION_RETRY_MAX_SECONDS = 300
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 300, 300]


@pytest.mark.parametrize(
    "error, kind",
    [
        (smtp_reply(421), TransientSendError),
        (smtp_reply(452), TransientSendError),
        (smtp_reply(554), PermanentSendError),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), PermanentSendError),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"busy"), "b@x": (550, b"no")}), PermanentSendError),
        (ConnectionResetError(), TransientSendError),
    ],
)
def test_smtp_errors_are_classified_by_code(error, kind):
    assert isinstance(smtp_error_classify(error), kind)


def test_other_errors_are_not_classified():
    error = KeyError("x")
    assert smtp_error_classify(error) is error
