"""Whatever a sender puts in a signed body, the webhook answers 2xx or 400, never a 500 or a
503, and a refused event stores nothing (issue 11)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.models import Invitation, Ticket, TicketEvent
from tests.fuzz.counts import count

from .helpers import URL, event, post_event, signed_headers

pytestmark = pytest.mark.django_db

# Any instant from year 1 to 9999 with any offset: the window is 2000-01-01 to 2100-01-01.
moments = st.builds(
    lambda d, offset: d.isoformat() + offset,
    st.datetimes(),
    st.sampled_from(["Z", "+14:00", "-12:00", "+00:00", ""]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()  # NaN and infinities too
    | st.text(max_size=30)  # any code point: NUL and lone surrogates included
    | moments
    | st.sampled_from(["2026-11-24T10:00:00Z", "2026-11-24", "urgent", "x@y.org", "0001-01-01T00:00:00+14:00",
                       "9999-12-31T23:59:59Z", "a\x00b", "\ud800", 2**31, 2**15, -1, "1e400"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
PATHS = [
    ("event_id",), ("source",), ("type",), ("occurred_at",), ("ticket",), ("ticket", "id"),
    ("ticket", "subject"), ("ticket", "priority"), ("ticket", "opened_at"), ("ticket", "first_response_at"),
    ("ticket", "resolved_at"), ("ticket", "closed_at"), ("ticket", "contact_count"), ("ticket", "reopen_count"),
    ("ticket", "is_complaint"), ("ticket", "agent"), ("ticket", "agent", "id"), ("ticket", "agent", "team"),
    ("ticket", "customer"), ("ticket", "customer", "email"), ("ticket", "customer", "name"),
    ("ticket", "customer", "locale"), ("extra",),
]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _stored() -> tuple[int, int, int]:
    return TicketEvent.objects.count(), Ticket.objects.count(), Invitation.objects.count()


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=4))
def test_mutated_events_get_2xx_or_400_with_field_errors(client, changes):
    payload = event()
    for path, value in changes:
        target = payload
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                break
            target = target[key]
        else:
            target[path[-1]] = value
    before = _stored()

    # allow_nan: a sender's JSON library may well write NaN; ensure_ascii keeps surrogates sendable.
    response = post_event(client, json.dumps(payload, allow_nan=True).encode())

    count("hypothesis POST /api/ticket-events/ (signed bodies)", response.status_code)
    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 400:
        assert response.json()["errors"]
        assert _stored() == before


@FUZZ
@given(body=st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_signed_bytes_get_400_never_5xx(client, body):
    before = _stored()
    response = post_event(client, body)
    count("hypothesis POST /api/ticket-events/ (signed bytes)", response.status_code)
    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 400:
        assert _stored() == before


@FUZZ
@given(stamp=st.text(max_size=420) | st.integers(-(10**400), 10**400).map(str))
def test_any_timestamp_header_gets_400_or_401_never_5xx(client, stamp):
    body = json.dumps(event()).encode()
    headers = signed_headers(body)
    headers["HTTP_X_SURVEYS_TIMESTAMP"] = stamp.encode("utf-8", "surrogatepass").decode("latin-1")
    response = client.post(URL, data=body, content_type="application/json", **headers)
    count("hypothesis POST /api/ticket-events/ (timestamp header)", response.status_code)
    assert response.status_code in (202, 400, 401)
    if response.status_code != 202:
        assert _stored() == (0, 0, 0)
