"""What every helpdesk's webhook must do, run once per helpdesk with its own fixtures: a solve
closes the ticket with the mapped fields and decides the survey as the product's own webhook
does; a first response, a reopen, a duplicate; and every refusal stores nothing."""

import json
from datetime import UTC, datetime

import pytest

from surveys.models import Invitation, InvitationStatus, Ticket, TicketEvent, TicketStatus
from tests.factories import CampaignFactory
from tests.ingest.helpers import just_after_close

from .helpers import connection, deliver, fixture, fixture_json, signed_headers

pytestmark = pytest.mark.django_db


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


# Per helpdesk: fixture names and what the solve must leave on the ticket.
CASES = {
    "zendesk": {
        "close": "solved",
        "first": "first_response",
        "reopen": "reopened",
        "unknown": "unknown_event",
        "ticket": {
            "external_id": "35436",
            "subject": "Printer on fire",
            "priority": "high",
            "category": "Incident",
            "channel": "Web Form",
            "opened_at": at("2026-11-23T08:00Z"),
            "closed_at": at("2026-11-24T10:00Z"),
        },
        "agent": ("ann@support.example", "Ann Agent", "Tier 1"),
        "customer": ("wang.fang@example.cn", "Wang Fang", "zh-hans"),
        "first_response_at": at("2026-11-23T08:30Z"),
    },
    "freshdesk": {
        "close": "resolved",
        "first": "first_response",
        "reopen": "reopened",
        "unknown": "unrendered",
        "ticket": {
            "external_id": "1042",
            "subject": "Refund not received",
            "priority": "normal",
            "category": "Refund",
            "channel": "email",
        },
        "agent": ("bo@support.example", "Bo Agent", "Billing"),
        "customer": ("emily@example.com", "Emily Adams", "en"),
        "first_response_at": None,  # Freshdesk has no time placeholder: the time of arrival
    },
    "zammad": {
        "close": "closed",
        "first": "first_response",
        "reopen": "reopened",
        "unknown": "custom_state",
        "ticket": {
            "external_id": "81",
            "reference": "10081",
            "subject": "Espresso machine leaks",
            "priority": "high",
            "channel": "email",
            "opened_at": at("2026-11-23T08:00Z"),
            "closed_at": at("2026-11-24T10:00Z"),
        },
        "agent": ("emma@chrispresso.com", "Emma Taylor", "Service Desk"),
        "customer": ("emily@example.com", "Emily Adams", "en"),
        "first_response_at": at("2026-11-23T08:30Z"),
    },
    "chatwoot": {
        "close": "status_changed_resolved",
        "first": "message_created_agent_reply",
        "reopen": "status_changed_reopened",
        "unknown": "unknown_event",
        "ticket": {
            "external_id": "10",
            "priority": "high",
            "category": "billing",
            "channel": "webwidget",
            "opened_at": at("2026-11-23T08:00Z"),
            "closed_at": at("2026-11-24T10:00Z"),
        },
        "agent": (None, "John", "Support EU"),
        "customer": ("jane@acme.inc", "jane", "zh-hans"),
        "first_response_at": at("2026-11-23T08:30Z"),
    },
}
KINDS = list(CASES)


@pytest.mark.parametrize("kind", KINDS)
@just_after_close()
def test_solved_closes_the_ticket_with_mapped_fields_and_schedules_the_survey(
    kind, client, enqueued, django_capture_on_commit_callbacks
):
    case, conn = CASES[kind], connection(kind)
    campaign = CampaignFactory(delay_minutes=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, conn, fixture(kind, case["close"]))

    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "stored"
    ticket = Ticket.objects.select_related("agent", "team", "customer").get()
    assert (ticket.source, ticket.status) == (conn.source, TicketStatus.CLOSED)
    for name, value in case["ticket"].items():
        assert getattr(ticket, name) == value, name
    if "closed_at" not in case["ticket"]:
        assert ticket.closed_at is not None
    email, name, team = case["agent"]
    assert (ticket.agent.name, ticket.team.name) == (name, team)
    if email:
        assert ticket.agent.email == email
    assert (ticket.customer.email, ticket.customer.name, ticket.customer.locale) == case["customer"]
    invitation = Invitation.objects.get()
    assert (invitation.campaign, invitation.ticket, invitation.status) == (
        campaign,
        ticket,
        InvitationStatus.SCHEDULED,
    )
    assert enqueued == [invitation.pk]


@pytest.mark.parametrize("kind", KINDS)
@just_after_close()
def test_first_response_sets_the_time_once(kind, client):
    case, conn = CASES[kind], connection(kind)

    response = deliver(client, conn, fixture(kind, case["first"]))

    assert response.status_code == 202, response.json()
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.OPEN
    expected = case["first_response_at"]
    assert ticket.first_response_at == expected if expected else ticket.first_response_at is not None
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
@just_after_close()
def test_reopen_after_solve_opens_a_new_cycle_and_withdraws_the_survey(kind, client, enqueued):
    case, conn = CASES[kind], connection(kind)
    CampaignFactory(delay_minutes=60)
    assert deliver(client, conn, fixture(kind, case["close"])).status_code == 202

    response = deliver(client, conn, fixture(kind, case["reopen"]))

    assert response.status_code == 202, response.json()
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.cycle, ticket.reopen_count, ticket.closed_at) == (
        TicketStatus.OPEN,
        2,
        1,
        None,
    )
    assert Invitation.objects.get().status == InvitationStatus.CANCELLED


@pytest.mark.parametrize("kind", KINDS)
@just_after_close()
def test_the_same_delivery_twice_is_stored_once(kind, client, enqueued):
    case, conn = CASES[kind], connection(kind)
    CampaignFactory(delay_minutes=0)
    body = fixture(kind, case["close"])
    assert deliver(client, conn, body).status_code == 202

    response = deliver(client, conn, body)

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert TicketEvent.objects.count() == 1
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_signature_or_secret_is_401_and_stores_nothing(kind, client):
    case, conn = CASES[kind], connection(kind)
    body = fixture(kind, case["close"])

    response = deliver(client, conn, body, **signed_headers(conn, body, secret="not-the-secret"))

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert not TicketEvent.objects.exists() and not Ticket.objects.exists()


# Freshdesk signs nothing: its secret is a header and does not cover the body.
@pytest.mark.parametrize("kind", ["zendesk", "zammad", "chatwoot"])
def test_body_changed_after_signing_is_401(kind, client):
    case, conn = CASES[kind], connection(kind)
    body = fixture(kind, case["close"])

    response = deliver(
        client, conn, body.replace(b"high", b"low").replace(b"High", b"Low"), **signed_headers(conn, body)
    )

    assert response.status_code == 401
    assert not TicketEvent.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_url_token_is_404_and_stores_nothing(kind, client):
    case, conn = CASES[kind], connection(kind)

    response = deliver(client, conn, fixture(kind, case["close"]), token="x" * 43)

    assert response.status_code == 404
    assert not TicketEvent.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_event_is_400_and_stores_nothing(kind, client):
    case, conn = CASES[kind], connection(kind)

    response = deliver(client, conn, fixture(kind, case["unknown"]))

    assert response.status_code == 400
    assert response.json()["error"] == "unknown_event"
    assert not TicketEvent.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_json_is_400_and_stores_nothing(kind, client):
    conn = connection(kind)

    response = deliver(client, conn, b'{"event": "solved", "ticket": ')

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert not TicketEvent.objects.exists()


@pytest.mark.parametrize("kind", ["zendesk", "freshdesk", "chatwoot"])
@just_after_close()
def test_a_later_reply_is_ignored_and_keeps_the_first_response_time(kind, client):
    case, conn = CASES[kind], connection(kind)
    assert deliver(client, conn, fixture(kind, case["first"])).status_code == 202
    first = Ticket.objects.get().first_response_at
    later = fixture_json(kind, case["first"])
    if kind == "chatwoot":
        later.update(id=130, created_at="2026-11-23T09:45:00.000Z")
    else:
        later["ticket"]["updated_at"] = "2026-11-23T09:45Z"

    response = deliver(client, conn, json.dumps(later).encode())

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert Ticket.objects.get().first_response_at == first
    assert TicketEvent.objects.count() == 1
