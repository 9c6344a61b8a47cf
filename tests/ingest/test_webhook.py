"""POST /api/ticket-events/: the documented answers, and nothing stored on any refusal."""

import json
import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client

from surveys.models import (
    Customer,
    Invitation,
    InvitationStatus,
    Ticket,
    TicketEvent,
    TicketEventStatus,
    TicketStatus,
)
from surveys.tasks.ingest import NUDGE_KEY, ticket_events_apply
from tests.factories import CampaignFactory, SLAPolicyFactory

from .helpers import URL, event, events_apply, just_after_close, post_event, signed_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    # Enforce CSRF as a browser would: the webhook must work without a token anyway.
    return Client(enforce_csrf_checks=True)


def _nothing_stored():
    assert TicketEvent.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Invitation.objects.count() == 0


@just_after_close()
def test_signed_close_is_stored_only_answered_202_and_nudges_one_apply(client, django_capture_on_commit_callbacks):
    CampaignFactory(delay_minutes=0)
    cache.delete(NUDGE_KEY)
    with (
        mock.patch.object(ticket_events_apply, "apply_async", autospec=True) as nudged,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_event(client, event(event_id="evt_1"), apply=False)

    assert response.status_code == 202
    assert response.json() == {"status": "stored", "event_id": "evt_1", "source": "acme-helpdesk"}
    stored = TicketEvent.objects.get()
    assert (stored.source, stored.event_id, stored.type) == ("acme-helpdesk", "evt_1", "ticket.closed")
    assert (stored.status, stored.applied_at, stored.ticket) == (TicketEventStatus.STORED, None, None)
    # Nothing else happened in the request: no ticket, customer or invitation.
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not Invitation.objects.exists()
    nudged.assert_called_once_with()


def test_a_burst_nudges_once_while_the_nudge_is_pending(client, django_capture_on_commit_callbacks):
    cache.delete(NUDGE_KEY)
    with (
        mock.patch.object(ticket_events_apply, "apply_async", autospec=True) as nudged,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(5):
            assert post_event(client, event(event_id=f"burst-{n}"), apply=False).status_code == 202
    assert nudged.call_count == 1


@just_after_close()
def test_stored_close_applied_by_the_workers_service(client, enqueued, django_capture_on_commit_callbacks):
    SLAPolicyFactory(priority="high", first_response_target_s=3600, resolution_target_s=8 * 3600)
    campaign = CampaignFactory(delay_minutes=0)
    assert post_event(client, event(event_id="evt_1"), apply=False).status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert events_apply() == 1

    stored = TicketEvent.objects.get()
    assert stored.status == TicketEventStatus.APPLIED and stored.applied_at is not None
    ticket = Ticket.objects.get()
    assert stored.ticket == ticket
    assert (ticket.external_id, ticket.status, ticket.priority) == ("T-1001", TicketStatus.CLOSED, "high")
    assert ticket.sla_response_target_s == 3600
    assert ticket.first_response_s == 1800
    invitation = Invitation.objects.get()
    assert invitation.campaign == campaign
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.language == "zh-hans"
    assert enqueued == [invitation.pk]


@just_after_close()
def test_same_event_delivered_five_times_changes_once(client, enqueued, django_capture_on_commit_callbacks):
    CampaignFactory(delay_minutes=0)
    payload = event(event_id="evt_dup")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_event(client, payload) for _ in range(5)]

    assert [a.status_code for a in answers] == [202, 200, 200, 200, 200]
    assert answers[1].json()["status"] == "duplicate"
    assert TicketEvent.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Invitation.objects.count() == 1
    assert len(enqueued) == 1


def test_same_event_id_from_another_source_is_a_new_event(client):
    assert post_event(client, event(event_id="evt_9")).status_code == 202
    assert post_event(client, event(event_id="evt_9", source="other-desk")).status_code == 202
    assert TicketEvent.objects.count() == 2
    assert Ticket.objects.count() == 2


def test_missing_signature_is_401_and_stores_nothing(client):
    body = json.dumps(event()).encode()
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 401
    assert "X-Surveys-Signature" in response.json()["message"]
    _nothing_stored()


def test_wrong_secret_is_401(client):
    response = post_event(client, event(), secret="guessed")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    _nothing_stored()


def test_body_changed_after_signing_is_401(client):
    body = json.dumps(event()).encode()
    headers = signed_headers(body)
    tampered = body.replace(b"Printer on fire", b"Printer is fine")
    response = client.post(URL, data=tampered, content_type="application/json", **headers)
    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_more_than_300s_away_is_401(client, skew):
    response = post_event(client, event(), timestamp=int(time.time()) + skew)
    assert response.status_code == 401
    assert "300" in response.json()["message"]
    _nothing_stored()


def test_session_login_does_not_replace_the_signature(designer, client):
    client.force_login(designer)
    body = json.dumps(event()).encode()
    assert client.post(URL, data=body, content_type="application/json").status_code == 401
    _nothing_stored()


def test_empty_server_secret_refuses_every_call(client, settings):
    settings.WEBHOOK_SECRET = ""
    response = post_event(client, event(), secret="")
    assert response.status_code == 401
    assert "WEBHOOK_SECRET" in response.json()["message"]
    _nothing_stored()


def test_body_over_256_kib_is_413(client):
    payload = event(ticket={"subject": "x" * 300_000})
    response = post_event(client, payload)
    assert response.status_code == 413
    _nothing_stored()


def test_invalid_json_is_400(client):
    response = post_event(client, b'{"event_id": "evt_1",')
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    _nothing_stored()


def test_schema_errors_list_every_bad_field(client):
    payload = event(occurred_at="yesterday", ticket={"priority": "whenever", "contact_count": -1})
    payload["ticket"]["customer"]["email"] = "not-an-address"
    del payload["event_id"]
    response = post_event(client, payload)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_payload"
    assert set(body["errors"]) == {
        "event_id",
        "occurred_at",
        "ticket.priority",
        "ticket.contact_count",
        "ticket.customer.email",
    }
    assert body["errors"]["ticket.priority"] == ["Must be one of: low, normal, high, urgent."]
    _nothing_stored()


def test_event_contradicting_the_stored_ticket_is_kept_failed_and_nothing_half_written(client):
    assert post_event(client, event(type="ticket.opened", ticket={"closed_at": None, "resolved_at": None}))
    # Closing before the ticket was opened: only detectable against the stored ticket.
    payload = event(
        ticket={"opened_at": None, "first_response_at": None, "resolved_at": None, "closed_at": "2026-11-01T00:00:00Z"},
        customer={"name": "Someone Else"},
    )
    response = post_event(client, payload)
    assert response.status_code == 202
    failed = TicketEvent.objects.get(event_id=payload["event_id"])
    assert failed.status == TicketEventStatus.FAILED and failed.attempts == 1
    assert "ticket.closed_at" in failed.last_error
    assert Ticket.objects.get().status == TicketStatus.OPEN
    assert Customer.objects.get().name == "Wang Fang"  # the customer's update was rolled back too


def test_database_failure_is_503_with_retry_after(client):
    with mock.patch("surveys.views.webhooks.ticket_event_accept", side_effect=OperationalError("db down")):
        response = post_event(client, event())
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    _nothing_stored()


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
