"""Building and signing ticket events the way a helpdesk would."""

import copy
import itertools
import json
import time
from datetime import UTC, datetime, timedelta

import time_machine

from surveys.ingest.signing import signature_make

SECRET = "test-webhook-secret"
URL = "/api/ticket-events/"
_ids = itertools.count(1)
# The default event's close. Tests that need a moment relative to it build it from this, never
# from the wall clock: the events are dated, the clock moves on.
CLOSED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def just_after_close():
    """Run a test with the clock an hour after the default close (and ticking), for tests whose
    outcome depends on where "now" stands against the events' dates: an invitation due at once,
    a throttle window. Without it such a test would pass only while the wall clock is later."""
    return time_machine.travel(CLOSED_AT + timedelta(hours=1), tick=True)


def event(*, type="ticket.closed", ticket=None, customer=None, agent=None, **fields) -> dict:
    """A valid ticket.closed event; keyword arguments override top-level fields, and the
    ``ticket``, ``customer`` and ``agent`` dicts are merged into the defaults (None removes)."""
    n = next(_ids)
    payload = {
        "event_id": f"evt_{n}",
        "source": "acme-helpdesk",
        "type": type,
        "occurred_at": "2026-11-24T10:00:00Z",
        "ticket": {
            "id": "T-1001",
            "subject": "Printer on fire",
            "priority": "high",
            "category": "billing",
            "channel": "email",
            "opened_at": "2026-11-23T08:00:00Z",
            "first_response_at": "2026-11-23T08:30:00Z",
            "resolved_at": "2026-11-24T09:00:00Z",
            "closed_at": "2026-11-24T10:00:00Z",
            "contact_count": 1,
            "reopen_count": 0,
            "is_complaint": False,
            "agent": {"id": "a-7", "name": "Ann Agent", "email": "ann@support.example", "team": "Tier 1"},
            "customer": {
                "id": "c-42",
                "email": "Wang.Fang@Example.cn",
                "name": "Wang Fang",
                "locale": "zh-hans",
                "segment": "enterprise",
            },
        },
    }
    payload.update(fields)
    for key, value in (ticket or {}).items():
        _put(payload["ticket"], key, value)
    for key, value in (customer or {}).items():
        _put(payload["ticket"]["customer"], key, value)
    for key, value in (agent or {}).items():
        _put(payload["ticket"]["agent"], key, value)
    return copy.deepcopy(payload)


def _put(target: dict, key, value) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def signed_headers(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "HTTP_X_SURVEYS_TIMESTAMP": str(timestamp),
        "HTTP_X_SURVEYS_SIGNATURE": signature_make(secret=secret, timestamp=timestamp, body=body),
    }


def events_apply(*, now=None) -> int:
    """Apply every stored, due event now, in this process, as the workers would (batch after
    batch); returns how many were claimed."""
    from surveys.services.ticket_events import events_apply_all

    return events_apply_all(now=now)


def post_event(client, payload, *, apply: bool = True, **sign):
    """POST the event signed; then, unless ``apply`` is False, let the workers' service apply
    what was stored (the webhook itself only stores)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(URL, data=body, content_type="application/json", **signed_headers(body, **sign))
    if apply and response.status_code == 202:
        events_apply()
    return response
