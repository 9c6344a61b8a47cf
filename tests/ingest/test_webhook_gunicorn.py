"""The webhook behind the real WSGI server (gunicorn): chunked bodies, and bad input refused
before authentication, over a socket (issue 11)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from surveys.ingest.signing import signature_make
from surveys.models import TicketEvent

from .helpers import SECRET, URL, event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """One sync worker on a free loopback port, on the test database; stopped by its pid."""
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WEBHOOK_SECRET": SECRET,
        "DEBUG": "1",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "surveys_project.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _signed(body: bytes) -> dict:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Surveys-Timestamp": stamp,
        "X-Surveys-Signature": signature_make(secret=SECRET, timestamp=stamp, body=body),
    }


def test_chunked_signed_event_is_stored_under_gunicorn(gunicorn):
    body = json.dumps(event(event_id="evt-chunked")).encode()
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
    # http.client chunks an iterable body itself: Transfer-Encoding: chunked, no Content-Length.
    conn.request("POST", URL, body=iter([body[:40], body[40:]]), headers=_signed(body), encode_chunked=True)
    response = conn.getresponse()

    assert response.status == 202, response.read()
    assert TicketEvent.objects.get().event_id == "evt-chunked"


def test_400_digit_timestamp_is_400_under_gunicorn(gunicorn):
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
    conn.request("POST", URL, body=b"{}", headers={"X-Surveys-Timestamp": "9" * 400, "X-Surveys-Signature": "x"})
    response = conn.getresponse()

    assert response.status == 400
    assert list(json.loads(response.read())["errors"]) == ["X-Surveys-Timestamp"]
