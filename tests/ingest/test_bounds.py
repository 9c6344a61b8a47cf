"""Bounded values from every door (docs/api.md, "Bounds"): each refusal a 400 naming the field,
nothing stored, and a data error never answered 503 (issue 11)."""

import io
import json
import time
from datetime import UTC, datetime
from unittest import mock

import psycopg
import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError

from surveys.ingest.schema import PayloadInvalid
from surveys.models import Invitation, Ticket, TicketEvent, TicketEventStatus
from surveys.services.tickets import ticket_event_accept
from surveys.transient import db_error_is_transient

from .helpers import URL, event, post_event, signed_headers

pytestmark = pytest.mark.django_db


def _nothing_stored():
    assert TicketEvent.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Invitation.objects.count() == 0


def _nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


# (what the sender changes, the field the 400 names): every one of these was stored or a 500/503.
BAD_EVENTS = [
    ({"ticket": {"opened_at": "0001-01-01T00:00:00+14:00"}}, "ticket.opened_at"),  # stored as year 1 BC
    ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at"),
    ({"occurred_at": "1999-12-31T23:59:59Z"}, "occurred_at"),
    ({"ticket": {"closed_at": "2100-01-01T00:00:00Z"}}, "ticket.closed_at"),
    ({"ticket": {"subject": "Printer\x00on fire"}}, "ticket.subject"),
    ({"ticket": {"subject": "Printer \ud800 on fire"}}, "ticket.subject"),
    ({"customer": {"name": "Wang\x00"}}, "ticket.customer.name"),
    ({"ticket": {"contact_count": float("nan")}}, "ticket.contact_count"),
    ({"extra": {"score": float("inf")}}, "extra.score"),
    ({"extra": {"note": "a\x00b"}}, "extra.note"),  # not a field we read, but stored in the payload
    ({"extra": _nested(20)}, "extra" + ".k" * 15),
    ({"ticket": {"contact_count": 2**31}}, "ticket.contact_count"),
]
# 99 years: past the 32-bit resolution_s column (68 years). Only applying the event can tell
# (the ticket may hold another opened_at), so it is stored and fails there, naming the field.
NINETY_NINE_YEARS = {
    "ticket": {"opened_at": "2000-01-01T00:00:00Z", "first_response_at": None,
               "resolved_at": "2099-12-01T00:00:00Z", "closed_at": "2099-12-01T00:00:00Z"},
    "occurred_at": "2099-12-01T00:00:00Z",
}


@pytest.mark.parametrize(("change", "field"), BAD_EVENTS, ids=[f for _c, f in BAD_EVENTS])
def test_out_of_bounds_value_is_400_naming_the_field_and_stores_nothing(client, change, field):
    response = post_event(client, event(**change))

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    _nothing_stored()


def test_nul_in_a_key_is_refused_with_the_key_escaped(client):
    response = post_event(client, event(extra={"na\x00me": 1}))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["extra.na\\u0000me"]
    _nothing_stored()


def test_json_nested_past_the_decoders_limit_is_400_not_500(client):
    body = b'{"a":' * 40_000 + b"1" + b"}" * 40_000  # 240 KB, under the size limit
    response = post_event(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_json", "message": "The body is nested too deeply."}
    _nothing_stored()


def test_duration_past_the_column_is_stored_then_failed_naming_the_field(client):
    response = post_event(client, event(**NINETY_NINE_YEARS))

    assert response.status_code == 202, response.content
    stored = TicketEvent.objects.get()
    assert stored.status == TicketEventStatus.FAILED
    assert "ticket.resolved_at" in stored.last_error
    assert not Ticket.objects.exists()


def test_duration_is_checked_against_the_stored_opened_at(client, enqueued):
    opened = event(type="ticket.opened", occurred_at="2000-01-02T00:00:00Z",
                   ticket={"opened_at": "2000-01-02T00:00:00Z", "first_response_at": None,
                           "resolved_at": None, "closed_at": None})
    assert post_event(client, opened).status_code == 202
    late = event(type="ticket.updated", occurred_at="2090-01-01T00:00:00Z",
                 ticket={"opened_at": None, "first_response_at": "2090-01-01T00:00:00Z",
                         "resolved_at": None, "closed_at": None})

    response = post_event(client, late)

    assert response.status_code == 202
    failed = TicketEvent.objects.get(event_id=late["event_id"])
    assert failed.status == TicketEventStatus.FAILED
    assert "ticket.first_response_at" in failed.last_error
    assert Ticket.objects.get().first_response_at is None


@pytest.mark.parametrize("stamp", ["9" * 400, "-1", "12e3", " 1", "1" * 13])
def test_malformed_timestamp_header_is_400_naming_the_header(client, stamp):
    body = json.dumps(event()).encode()
    headers = signed_headers(body)
    headers["HTTP_X_SURVEYS_TIMESTAMP"] = stamp
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["X-Surveys-Timestamp"]
    _nothing_stored()


def test_chunked_body_is_read_and_stored(client, enqueued):
    # What gunicorn hands over for Transfer-Encoding: chunked: no CONTENT_LENGTH, the de-chunked
    # body on wsgi.input, and wsgi.input_terminated to say it ends where the body ends.
    body = json.dumps(event(event_id="evt_chunked")).encode()
    response = client.post(
        URL, data=body, content_type="application/json", CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        **signed_headers(body),
    )
    assert response.status_code == 202, response.content
    assert TicketEvent.objects.get().event_id == "evt_chunked"


def test_chunked_body_over_256_kib_is_413_after_reading_one_byte_past(client):
    body = json.dumps(event(ticket={"subject": "x" * 300_000})).encode()
    stream = io.BytesIO(body)
    response = client.post(
        URL, data=body, content_type="application/json", CONTENT_LENGTH="",
        **{"wsgi.input": stream, "wsgi.input_terminated": True}, **signed_headers(body),
    )
    assert response.status_code == 413
    assert stream.tell() == 256 * 1024 + 1
    _nothing_stored()


@pytest.mark.parametrize(
    "error",
    [DataError("value too long"), IntegrityError("duplicate"), ProgrammingError("syntax")],
    ids=["data", "integrity", "programming"],
)
def test_permanent_database_error_is_400_never_503(client, error):
    with mock.patch("surveys.views.webhooks.ticket_event_accept", side_effect=error):
        response = post_event(client, event())
    assert response.status_code == 400
    assert response.json()["error"] == "unstorable"
    assert "Retry-After" not in response


def _wrapped(django_cls, driver_exc):
    """A Django error as Django raises it: the driver's error as its cause."""
    try:
        raise django_cls(str(driver_exc)) from driver_exc
    except django_cls as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_wrapped(OperationalError, psycopg.errors.SerializationFailure("could not serialize")), True),
        (_wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")), True),
        (_wrapped(OperationalError, psycopg.OperationalError("server closed the connection")), True),
        (InterfaceError("connection already closed"), True),
        (_wrapped(OperationalError, __import__("sqlite3").OperationalError("database is locked")), True),
        (_wrapped(OperationalError, __import__("sqlite3").OperationalError("no such table: x")), False),
        (_wrapped(DataError, psycopg.errors.NumericValueOutOfRange("integer out of range")), False),
        (_wrapped(DataError, psycopg.errors.UntranslatableCharacter("unsupported Unicode escape")), False),
        (_wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")), False),
    ],
    ids=["serialization", "deadlock", "shutdown", "connection-lost", "closed", "sqlite-locked",
         "sqlite-no-table", "out-of-range", "nul-in-jsonb", "unique"],
)
def test_one_rule_says_which_database_errors_are_transient(error, transient):
    assert db_error_is_transient(error) is transient


def test_transient_database_error_is_503_with_retry_after(client):
    error = _wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected"))
    with mock.patch("surveys.views.webhooks.ticket_event_accept", side_effect=error):
        response = post_event(client, event())
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


@pytest.mark.parametrize(
    ("moment", "field"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "occurred_at"),
        (datetime(9999, 12, 31, tzinfo=UTC), "occurred_at"),
    ],
)
def test_python_api_refuses_out_of_window_datetimes(moment, field):
    with pytest.raises(PayloadInvalid) as caught:
        ticket_event_accept(payload=event(occurred_at=moment))
    assert field in caught.value.errors
    _nothing_stored()


def test_python_api_refuses_nul_and_surrogates_anywhere_in_the_payload():
    with pytest.raises(PayloadInvalid) as caught:
        ticket_event_accept(payload=event(ticket={"category": "bill\x00ing"}, extra=["ok", "\udfff"]))
    assert set(caught.value.errors) == {"ticket.category", "extra.1"}
    _nothing_stored()


def test_python_api_refuses_values_json_cannot_hold():
    from decimal import Decimal

    with pytest.raises(PayloadInvalid) as caught:
        ticket_event_accept(payload=event(extra={"tags": {"a", "b"}, "price": Decimal("1.5")}))
    assert set(caught.value.errors) == {"extra.tags", "extra.price"}
    _nothing_stored()


def test_window_edges_are_accepted(client, enqueued):
    start = event(event_id="edge-1", occurred_at="2000-01-01T00:00:00Z",
                  ticket={"opened_at": "2000-01-01T00:00:00Z", "first_response_at": None,
                          "resolved_at": None, "closed_at": None}, type="ticket.opened")
    assert post_event(client, start).status_code == 202
    late = datetime.fromtimestamp(time.time(), UTC).replace(year=2099, month=12, day=31)
    stamp = late.isoformat()
    end = event(event_id="edge-2", occurred_at=stamp, type="ticket.opened",
                ticket={"id": "T-2", "opened_at": stamp, "first_response_at": None,
                        "resolved_at": None, "closed_at": None})
    assert post_event(client, end).status_code == 202


def test_csv_import_rejects_each_out_of_bounds_row_naming_line_and_field(tmp_path):
    from django.core.management import call_command

    from .test_import_tickets import row, write_csv

    path = write_csv(tmp_path, [
        row("T-1"),
        row("T-2", opened_at="0001-01-01T00:00:00+14:00"),
        row("T-3", subject="Refund\x00please"),
        row("T-4", contact_count="²"),  # str.isdigit() is true for it; int() refuses it
        row("T-5", contact_count="9" * 5000),  # past int()'s digit limit
        row("T-6", subject="BYTE"),
        row("T-BYTE"),  # in the ticket id, which the event id's fingerprint is made of
    ])
    # A byte that is not UTF-8, in one cell only.
    path.write_bytes(path.read_bytes().replace(b"BYTE", b"caf\xe9"))
    out = io.StringIO()

    call_command("import_tickets", str(path), stdout=out)

    report = out.getvalue()
    assert "accepted 1, duplicate 0, rejected 6" in report
    assert "line 3: rejected: ticket.opened_at: Must be from 2000-01-01" in report
    assert "line 4: rejected: ticket.subject: Must not contain the NUL character" in report
    assert "line 5: rejected: ticket.contact_count" in report
    assert "line 6: rejected: ticket.contact_count" in report
    assert "line 7: rejected: ticket.subject: Must not contain a lone surrogate" in report
    line_8 = next(line for line in report.splitlines() if line.startswith("line 8: rejected: "))
    assert "ticket.id: Must not contain a lone surrogate" in line_8
    assert list(Ticket.objects.values_list("external_id", flat=True)) == ["T-1"]
