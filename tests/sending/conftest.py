"""Helpers for the sending tests: due invitations, and an SMTP backend that answers as told."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from surveys import models as m
from surveys.services import sending_smtp
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory


class ScriptedBackend(BaseEmailBackend):
    """Raises the queued errors one send at a time (None: delivers that one), then delivers
    to mail.outbox.

    The mail backend is the boundary between us and the SMTP server, so it is the one thing
    these tests replace; the real-SMTP behaviour is proven in tests/integration.
    """

    script: list[Exception] = []

    def send_messages(self, messages):
        # None in the script lets that send through.
        error = ScriptedBackend.script.pop(0) if ScriptedBackend.script else None
        if error is not None:
            raise error
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture(autouse=True)
def _fresh_mail_connection():
    # The sending service keeps one connection per process; tests change backends.
    sending_smtp.mailer.close()
    yield
    sending_smtp.mailer.close()


@pytest.fixture
def smtp_script(settings):
    settings.EMAIL_BACKEND = "tests.sending.conftest.ScriptedBackend"
    ScriptedBackend.script = []
    yield ScriptedBackend.script
    ScriptedBackend.script = []


def smtp_reply(code: int, text: str = "") -> Exception:
    return smtplib.SMTPDataError(code, text.encode() or b"server says so")


@pytest.fixture
def campaign(db):
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    return CampaignFactory(questionnaire=questionnaire, link_expiry_days=14)


def due_invitation(campaign, **kwargs) -> m.Invitation:
    defaults = {
        "status": m.InvitationStatus.SCHEDULED,
        "sent_at": None,
        "expires_at": None,
        "send_after": timezone.now() - timedelta(minutes=1),
    }
    return InvitationFactory(campaign=campaign, **{**defaults, **kwargs})


def sent_invitation(campaign, *, hours_ago: float, **kwargs) -> m.Invitation:
    at = timezone.now() - timedelta(hours=hours_ago)
    defaults = {
        "status": m.InvitationStatus.SENT,
        "send_after": at,
        "sent_at": at,
        "last_sent_at": at,
        "expires_at": at + timedelta(days=14),
    }
    return InvitationFactory(campaign=campaign, **{**defaults, **kwargs})
