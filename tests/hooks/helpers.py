"""Helpdesk webhook calls built the way each helpdesk sends them (sources: fixtures/README.md)."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from surveys.integrations import chatwoot, zammad, zendesk
from surveys.models import HelpdeskConnection
from tests.ingest.helpers import events_apply

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRETS = {
    "zendesk": "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==",
    "zammad": "zammad-token",
    "chatwoot": "chatwoot-secret",
    "freshdesk": "freshdesk-secret",
}


def fixture(kind: str, name: str) -> bytes:
    return (FIXTURES / kind / f"{name}.json").read_bytes()


def fixture_json(kind: str, name: str) -> dict:
    return json.loads(fixture(kind, name))


def connection(kind: str, **fields) -> HelpdeskConnection:
    fields.setdefault("secret", SECRETS[kind])
    return HelpdeskConnection.objects.create(kind=kind, name=f"{kind} test", source=f"{kind}-test", **fields)


def signed_headers(conn: HelpdeskConnection, body: bytes, *, secret: str | None = None) -> dict:
    """The headers the helpdesk adds to this body, signed with ``secret`` (the connection's)."""
    secret = conn.secret if secret is None else secret
    if conn.kind == "zendesk":
        stamp = datetime.fromtimestamp(int(time.time()), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": stamp,
            "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": zendesk.signature_make(
                secret=secret, timestamp=stamp, body=body
            ),
            "HTTP_X_ZENDESK_WEBHOOK_INVOCATION_ID": "8350205582",
        }
    if conn.kind == "zammad":
        return {
            "HTTP_X_HUB_SIGNATURE": zammad.signature_make(secret=secret, body=body),
            "HTTP_X_ZAMMAD_TRIGGER": "surveys: ticket changed",
            "HTTP_X_ZAMMAD_DELIVERY": "c0ffee",
        }
    if conn.kind == "chatwoot":
        if not secret:
            return {}
        stamp = str(int(time.time()))
        return {
            "HTTP_X_CHATWOOT_TIMESTAMP": stamp,
            "HTTP_X_CHATWOOT_SIGNATURE": chatwoot.signature_make(secret=secret, timestamp=stamp, body=body),
        }
    return {"HTTP_X_SURVEYS_SECRET": secret} if secret else {}


def deliver(client, conn: HelpdeskConnection, body: bytes, *, token: str | None = None, **headers):
    """POST ``body`` to the connection's address, signed unless ``headers`` replace the
    signature; then apply what was stored, as the workers would (the hook itself only stores)."""
    sent = {**signed_headers(conn, body), **headers}
    url = f"/hooks/{conn.kind}/{token or conn.url_token}/"
    answer = client.post(url, data=body, content_type="application/json", **sent)
    events_apply()
    return answer
