"""The endpoint's own rules, the same for every helpdesk: which connection answers, how big a
body may be, which method; and the checks particular to one helpdesk's signature."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from surveys.models import Ticket, TicketEvent
from tests.ingest.helpers import events_apply

from .helpers import connection, deliver, fixture, fixture_json, signed_headers

pytestmark = pytest.mark.django_db


def test_inactive_connection_is_404(client):
    conn = connection("zammad", active=False)

    assert deliver(client, conn, fixture("zammad", "closed")).status_code == 404
    assert not TicketEvent.objects.exists()


def test_token_of_another_helpdesk_kind_is_404(client):
    zendesk = connection("zendesk")
    body = fixture("zendesk", "solved")

    response = client.post(
        f"/hooks/zammad/{zendesk.url_token}/",
        data=body,
        content_type="application/json",
        **signed_headers(zendesk, body),
    )

    assert response.status_code == 404


def test_unknown_helpdesk_in_the_address_is_404(client):
    conn = connection("zendesk")

    response = client.post(f"/hooks/helpscout/{conn.url_token}/", data=b"{}", content_type="application/json")

    assert response.status_code == 404


def test_get_is_405(client):
    conn = connection("zendesk")

    assert client.get(conn.path).status_code == 405


def test_body_over_256_kib_is_413_and_stores_nothing(client):
    conn = connection("chatwoot", secret="")
    data = fixture_json("chatwoot", "status_changed_resolved")
    data["padding"] = "x" * (256 * 1024)

    response = deliver(client, conn, json.dumps(data).encode())

    assert response.status_code == 413
    assert not TicketEvent.objects.exists()


def test_each_connection_gets_its_own_unguessable_token():
    first, second = connection("zendesk"), connection("zammad")

    assert first.url_token != second.url_token
    assert len(first.url_token) >= 43  # 32 random bytes


@pytest.mark.parametrize("kind", ["zendesk", "zammad"])
def test_signing_helpdesk_without_its_secret_yet_refuses_every_call(kind, client):
    # Saved first (the address is needed to create the helpdesk's webhook), the secret after.
    conn = connection(kind, secret="")
    body = fixture(kind, "solved" if kind == "zendesk" else "closed")

    response = deliver(client, conn, body, **signed_headers(conn, body, secret=""))

    assert response.status_code == 401
    assert "no signing secret" in response.json()["message"]
    assert not TicketEvent.objects.exists()


def test_zendesk_signature_older_than_five_minutes_is_401(client):
    conn = connection("zendesk")
    body = fixture("zendesk", "solved")
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=6), tick=False):
        old = signed_headers(conn, body)

    response = deliver(client, conn, body, **old)

    assert response.status_code == 401
    assert "seconds" in response.json()["message"]


def test_zendesk_call_without_signature_headers_is_401(client):
    conn = connection("zendesk")

    response = client.post(conn.path, data=fixture("zendesk", "solved"), content_type="application/json")

    assert response.status_code == 401


def test_invalid_mapped_field_is_400_naming_it_and_stores_nothing(client):
    conn = connection("zendesk")
    data = fixture_json("zendesk", "solved")
    data["ticket"]["requester"]["email"] = "not-an-address"

    response = deliver(client, conn, json.dumps(data).encode())

    assert response.status_code == 400
    assert "ticket.customer.email" in response.json()["errors"]
    assert not TicketEvent.objects.exists()


def test_event_without_a_ticket_id_is_400(client):
    conn = connection("zendesk")
    data = fixture_json("zendesk", "solved")
    data["ticket"]["id"] = "{{ticket.id}}"  # a placeholder typed wrong stays unrendered

    response = deliver(client, conn, json.dumps(data).encode())

    assert response.status_code == 400
    assert "ticket.id" in response.json()["errors"]


def test_freshdesk_secret_header_is_required_when_the_connection_has_one(client):
    conn = connection("freshdesk")

    response = client.post(conn.path, data=fixture("freshdesk", "resolved"), content_type="application/json")

    assert response.status_code == 401
    assert not TicketEvent.objects.exists()


def test_freshdesk_without_a_secret_trusts_the_url_token_alone(client):
    conn = connection("freshdesk", secret="")

    response = client.post(conn.path, data=fixture("freshdesk", "resolved"), content_type="application/json")

    assert response.status_code == 202


def test_chatwoot_unsigned_version_is_accepted_through_the_url_token(client):
    conn = connection("chatwoot", secret="")

    response = client.post(
        conn.path, data=fixture("chatwoot", "conversation_created"), content_type="application/json"
    )

    assert response.status_code == 202
    events_apply()
    ticket = Ticket.objects.get()
    assert (ticket.external_id, ticket.agent) == ("10", None)  # not yet assigned


def test_chatwoot_with_a_secret_refuses_an_unsigned_call(client):
    conn = connection("chatwoot")

    response = client.post(
        conn.path, data=fixture("chatwoot", "status_changed_resolved"), content_type="application/json"
    )

    assert response.status_code == 401


@pytest.mark.parametrize("name", ["message_created_customer"])
def test_chatwoot_customer_message_is_ignored_with_200(client, name):
    conn = connection("chatwoot")

    response = deliver(client, conn, fixture("chatwoot", name))

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert not TicketEvent.objects.exists()


def test_chatwoot_event_it_knows_but_does_not_use_is_ignored_with_200(client):
    conn = connection("chatwoot")
    data = fixture_json("chatwoot", "message_created_customer")
    data["event"] = "message_updated"

    response = deliver(client, conn, json.dumps(data).encode())

    assert (response.status_code, response.json()["status"]) == (200, "ignored")


def test_zammad_merged_ticket_is_ignored_with_200(client):
    conn = connection("zammad")
    data = fixture_json("zammad", "closed")
    data["ticket"]["state"] = "merged"

    response = deliver(client, conn, json.dumps(data).encode())

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert not Ticket.objects.exists()


def test_zammad_ticket_owned_by_nobody_has_no_agent(client):
    conn = connection("zammad", default_team="Front desk")
    data = fixture_json("zammad", "closed")
    data["ticket"].update(owner_id=1, owner={"id": 1, "login": "-", "firstname": "-", "lastname": ""})

    response = deliver(client, conn, json.dumps(data).encode())

    assert response.status_code == 202
    assert Ticket.objects.get().agent is None


def test_chatwoot_signature_older_than_five_minutes_is_401(client):
    conn = connection("chatwoot")
    body = fixture("chatwoot", "status_changed_resolved")
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=6), tick=False):
        old = signed_headers(conn, body)

    response = deliver(client, conn, body, **old)

    assert response.status_code == 401
    assert not TicketEvent.objects.exists()
