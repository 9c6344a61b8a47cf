"""GET /api/ticket-events/<source>/<event_id>/: a sender reads back where its event stands."""

import time

import pytest
from django.test import Client

from surveys.ingest.signing import signature_make
from surveys.models import TicketEventStatus

from .helpers import SECRET, event, events_apply, post_event

pytestmark = pytest.mark.django_db


def get_state(client, source, event_id, *, secret=SECRET):
    path = f"/api/ticket-events/{source}/{event_id}/"
    stamp = int(time.time())
    headers = {
        "HTTP_X_SURVEYS_TIMESTAMP": str(stamp),
        "HTTP_X_SURVEYS_SIGNATURE": signature_make(secret=secret, timestamp=stamp, body=path.encode()),
    }
    return client.get(path, **headers)


def test_state_follows_the_event_from_stored_to_applied():
    client = Client()
    assert post_event(client, event(event_id="evt/1"), apply=False).status_code == 202
    stored = get_state(client, "acme-helpdesk", "evt/1")
    assert stored.status_code == 200
    assert stored.json()["status"] == TicketEventStatus.STORED
    assert stored.json()["applied_at"] is None

    events_apply()
    applied = get_state(client, "acme-helpdesk", "evt/1").json()
    assert applied["status"] == TicketEventStatus.APPLIED
    assert applied["applied_at"] and applied["ticket_id"] == "T-1001" and applied["error"] is None


def test_failed_event_shows_its_error():
    client = Client()
    post_event(client, event(event_id="open", type="ticket.opened", ticket={"closed_at": None, "resolved_at": None}))
    post_event(client, event(event_id="bad", ticket={"opened_at": None, "first_response_at": None,
                                                     "resolved_at": None, "closed_at": "2026-11-01T00:00:00Z"}))
    body = get_state(client, "acme-helpdesk", "bad").json()
    assert body["status"] == TicketEventStatus.FAILED
    assert "ticket.closed_at" in body["error"] and body["attempts"] == 1


def test_unknown_event_is_404_and_a_bad_signature_401():
    client = Client()
    assert get_state(client, "acme-helpdesk", "nope").status_code == 404
    post_event(client, event(event_id="e1"), apply=False)
    assert get_state(client, "acme-helpdesk", "e1", secret="guessed").status_code == 401
    assert client.get("/api/ticket-events/acme-helpdesk/e1/").status_code == 401
