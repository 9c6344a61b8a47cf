"""Webhook to inbox through the real broker and a real worker: the webhook stores, its on-commit
nudge (made by the nudger thread, as in production) makes the worker apply the event, and the
invitation it writes is sent by the worker."""

import time

import pytest
from django.core import mail
from django.core.cache import cache

from surveys.models import Invitation, InvitationStatus, TicketEvent, TicketEventStatus
from surveys.tasks.ingest import NUDGE_KEY
from tests.factories import CampaignFactory, QuestionFactory
from tests.ingest.helpers import SECRET, event, post_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_signed_close_reaches_the_customer_through_a_real_worker(celery_worker_real, client, settings):
    settings.WEBHOOK_SECRET = SECRET
    settings.TICKET_EVENTS_NUDGE_SECONDS = 0.05  # the production path (the suite nudges in the request)
    campaign = CampaignFactory(delay_minutes=0)
    QuestionFactory(questionnaire=campaign.questionnaire, order=0)

    cache.delete(NUDGE_KEY)  # a nudge left pending by an earlier test would hold this one back
    assert post_event(client, event(event_id="evt_e2e"), apply=False).status_code == 202

    def sent() -> bool:
        return bool(mail.outbox) and Invitation.objects.filter(status=InvitationStatus.SENT).exists()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sent():  # the email goes out, then the row settles
        time.sleep(0.1)
    assert TicketEvent.objects.get().status == TicketEventStatus.APPLIED
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.SENT
    assert [m.to for m in mail.outbox] == [["Wang.Fang@Example.cn"]]
