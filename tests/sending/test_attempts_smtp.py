"""``attempts`` records the SMTP tries actually made, against a real SMTP server (aiosmtpd on a
loopback port) through Django's SMTP backend: a permanent 550 at the first try is one attempt,
not INVITATION_MAX_ATTEMPTS."""

import pytest
from django.utils import timezone

from surveys import models as m
from surveys.services.sending import SendOutcome, invitation_send

from .conftest import due_invitation
from .smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield sink


def test_a_permanent_550_at_the_first_try_records_one_attempt(campaign, sink, settings):
    settings.INVITATION_MAX_ATTEMPTS = 8
    sink.handler.replies = ["550 5.1.1 <nobody@example.org>: mailbox unavailable"]
    invitation = due_invitation(campaign)

    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.FAILED

    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (m.InvitationStatus.FAILED, 1)
    assert invitation.last_error.startswith("550 5.1.1")
    assert sink.handler.data_commands == 1


def test_a_421_then_success_records_two_attempts(campaign, sink):
    sink.handler.replies = ["421 4.3.2 Service busy, try later"]
    invitation = due_invitation(campaign)

    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.RETRY
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SENT

    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts, invitation.last_error) == (m.InvitationStatus.SENT, 2, "")
    assert sink.handler.data_commands == 2
    assert sink.handler.token_counts() == {invitation.token: 1}
