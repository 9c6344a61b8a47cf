"""What curl and other clients send (form fields, ``-u KEY:``, ``.json`` routes) and the
refusals no official client provokes."""

import base64
import json

import pytest

from surveys import models as m

from .conftest import PERMISSIONS, api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth():
    key = api_token(*PERMISSIONS)
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_curl_form_fields_with_key_and_colon(client, auth, nps_campaign):
    response = client.post(
        "/delighted/v1/people.json",
        "email=form%40example.org&name=Form&delay=60&properties%5Bchannel%5D=phone&properties%5Bticket_id%5D=F-1",
        content_type="application/x-www-form-urlencoded",
        **auth,
    )

    assert response.status_code == 200, response.content
    ticket = m.Ticket.objects.get()
    assert (ticket.external_id, ticket.channel, ticket.customer.name) == ("F-1", "phone", "Form")
    assert response.json()["properties"] == {"channel": "phone", "ticket_id": "F-1"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/delighted/v1/people.json", b"{not json", 400),
        ("post", "/delighted/v1/people.json", b"[1, 2]", 400),
        (
            "post",
            "/delighted/v1/people.json",
            b'{"email": "a@example.org", "pad": "' + b"x" * 300_000 + b'"}',
            413,
        ),
        ("get", "/delighted/v1/people/1", None, 405),
        ("get", "/delighted/v1/people.json?phone_number=%2B17132746524", None, 422),
        ("get", "/delighted/v1/people.json?email=nope", None, 422),
        ("post", "/delighted/v1/survey_responses.json", b"{}", 405),
        ("delete", "/delighted/v1/people/email:nobody@example.org", b"{}", 404),
        ("delete", "/delighted/v1/people/not-an-identifier", b"{}", 404),
        ("delete", "/delighted/v1/people/phone_number:+17132746524", b"{}", 422),
        (
            "post",
            "/delighted/v1/people.json",
            b'{"email": "a@example.org", "name": "x\\u0000", "send": false}',
            422,
        ),
        (
            "post",
            "/delighted/v1/people.json",
            b'{"email": "a@example.org", "properties": {"campaign": "\\u0000"}}',
            422,
        ),
        (
            "post",
            "/delighted/v1/people.json",
            b'{"email": "a@example.org", "properties": {"x": "\\ud800"}}',
            422,
        ),
        ("post", "/delighted/v1/unsubscribes.json", b'{"person_email": "a\\u0000@example.org"}', 422),
    ],
)
def test_refusals_are_in_delighted_shape_and_store_nothing(
    client, auth, nps_campaign, method, path, body, status
):
    kwargs = {"content_type": "application/json", **auth} if body is not None else auth
    response = (
        getattr(client, method)(path, body, **kwargs)
        if body is not None
        else getattr(client, method)(path, **kwargs)
    )

    assert response.status_code == status
    payload = json.loads(response.content)
    assert payload["status"] == status and payload["message"]
    assert not m.TicketEvent.objects.exists() and not m.Customer.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Token whatever",
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
        "Basic " + base64.b64encode(b":only-a-password").decode(),
    ],
)
def test_missing_or_malformed_credentials_are_401(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/delighted/v1/metrics.json", **extra)

    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key."}
    assert response["WWW-Authenticate"].startswith("Basic")


def test_a_revoked_token_is_refused(client, auth):
    m.ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")

    assert client.get("/delighted/v1/metrics", **auth).status_code == 401
