"""Redis unreachable: the webhook still answers 202 quickly and stores every event; the workers
apply them once they run (the beat sweep), and the invitations wait in the database. Run in a child process whose broker URL points at a closed port, so
the real settings (publish retry policy, connect timeout) are what is tested."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from surveys.models import Invitation, InvitationStatus, TicketEvent, TicketEventStatus
from surveys.tasks.ingest import ticket_events_apply
from surveys.tasks.sending import invitation_send
from tests.factories import CampaignFactory
from tests.ingest.helpers import event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "broker-down-secret"

CHILD = """
import json, os, sys, time
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from tests.ingest.helpers import URL, signed_headers
setup_test_environment()
client, answers = Client(), []
for line in sys.stdin:
    body = line.strip().encode()
    started = time.monotonic()
    response = client.post(URL, data=body, content_type="application/json",
                           **signed_headers(body, secret=os.environ["WEBHOOK_SECRET"]))
    answers.append([response.status_code, time.monotonic() - started])
print(json.dumps(answers))
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_webhook_stores_every_event_with_202_fast_while_redis_is_down_and_the_sweep_applies_them():
    CampaignFactory(delay_minutes=0, throttle_days=0)
    events = [event(event_id=f"down-{n}", ticket={"id": f"T-down-{n}"},
                    customer={"email": f"c{n}@example.org"}) for n in range(10)]
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": dead,
        "CELERY_BROKER_URL": dead,
        "WEBHOOK_SECRET": SECRET,
        "DJANGO_SETTINGS_MODULE": "surveys_project.settings",
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input="\n".join(json.dumps(e) for e in events),
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )
    assert child.returncode == 0, child.stderr
    answers = json.loads(child.stdout.strip().splitlines()[-1])

    assert [status for status, _ in answers] == [202] * 10
    # Publishing gives up within about a second; a hanging broker would show here.
    assert max(seconds for _, seconds in answers) < 3.0, answers
    assert "not nudged" in child.stderr
    assert TicketEvent.objects.filter(status=TicketEventStatus.STORED).count() == 10
    assert not Invitation.objects.exists()  # nothing but the event happened in the request

    # Redis back: the beat sweep runs the apply task (here called directly, as beat would).
    with mock.patch.object(invitation_send, "apply_async", autospec=True) as sends:
        assert ticket_events_apply() == 10
    assert TicketEvent.objects.filter(status=TicketEventStatus.APPLIED).count() == 10
    assert Invitation.objects.filter(status=InvitationStatus.SCHEDULED).count() == 10
    assert sends.call_count == 10
