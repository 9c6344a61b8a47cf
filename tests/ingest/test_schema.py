"""Payload validation and signatures, without the database."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from surveys.ingest.schema import PayloadInvalid, event_parse
from surveys.ingest.signing import SignatureInvalid, TimestampMalformed, signature_make, signature_verify

from .helpers import event


def errors_of(payload) -> dict:
    with pytest.raises(PayloadInvalid) as caught:
        event_parse(payload)
    return caught.value.errors


def test_valid_event_parses_with_offsets_kept():
    data = event_parse(event(occurred_at="2026-11-24T18:00:00+08:00"))
    assert data.occurred_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert data.occurred_at.utcoffset() == timedelta(hours=8)
    assert data.ticket.customer.locale == "zh-hans"
    assert data.ticket.agent.team == "Tier 1"


@pytest.mark.parametrize(
    "payload",
    [
        event(occurred_at="2026-11-24T18:00:00+08:00"),
        event(ticket={"id": 1234, "subject": "  spaced  ", "agent": None}, customer={"email": None}),
        event(type="ticket.updated", ticket={"closed_at": None, "priority": "URGENT"}),
    ],
)
def test_a_stored_payload_parses_to_the_same_event(payload):
    """The apply workers parse a payload read back from the database with ``storable=True``
    (no storability walk, no JSON-safe copy): the same event, the payload kept as given."""
    stored = json.loads(json.dumps(event_parse(payload).payload))
    again = event_parse(stored, storable=True)
    assert again == event_parse(stored) and again.payload is stored
    with pytest.raises(PayloadInvalid) as caught:
        event_parse({**stored, "occurred_at": "yesterday"}, storable=True)
    assert caught.value.errors == errors_of({**stored, "occurred_at": "yesterday"})


def test_a_decoded_payload_is_checked_as_ever_and_stored_as_it_is():
    """The webhook and the CSV import pass ``decoded=True``: JSON's own types need no JSON-safe
    copy, but every field and the storability of the whole payload are still checked."""
    decoded = json.loads(json.dumps(event()))
    data = event_parse(decoded, decoded=True)
    assert data == event_parse(decoded) and data.payload is decoded
    with pytest.raises(PayloadInvalid) as caught:
        event_parse({**decoded, "note": "nul \x00 here"}, decoded=True)
    assert caught.value.errors == {"note": ["Must not contain the NUL character (\\u0000)."]}


def test_optional_fields_may_be_absent_or_null():
    payload = event(ticket={"subject": None, "category": None, "agent": None, "contact_count": None})
    payload["ticket"]["channel"] = None
    data = event_parse(payload)
    assert (data.ticket.subject, data.ticket.channel, data.ticket.agent) == (None, None, None)


def test_body_that_is_not_an_object():
    assert errors_of(["a", "list"]) == {"": ["The body must be a JSON object."]}


def test_naive_timestamp_needs_an_offset():
    assert errors_of(event(occurred_at="2026-11-24T10:00:00")) == {
        "occurred_at": ["Needs a UTC offset, e.g. 2026-11-24T10:00:00Z."]
    }


def test_unknown_type_and_missing_ticket():
    payload = event(type="ticket.deleted")
    del payload["ticket"]
    assert set(errors_of(payload)) == {"type", "ticket"}


def test_customer_needs_id_or_email():
    assert errors_of(event(customer={"id": None, "email": None})) == {
        "ticket.customer": ["Give the customer's id or email (or both)."]
    }


def test_times_before_opened_at_are_refused():
    errors = errors_of(event(ticket={"first_response_at": "2026-11-22T00:00:00Z"}))
    assert errors == {"ticket.first_response_at": ["Cannot be earlier than opened_at."]}


def test_overlong_text_and_wrong_types():
    errors = errors_of(event(source="s" * 101, ticket={"reopen_count": True, "is_complaint": 1}))
    assert errors == {
        "source": ["At most 100 characters."],
        "ticket.reopen_count": ["Must be a whole number from 0 to 32767."],
        "ticket.is_complaint": ["Must be true or false."],
    }


def test_numeric_ticket_id_is_accepted_as_text():
    assert event_parse(event(ticket={"id": 1001})).ticket.external_id == "1001"


def test_signature_round_trip_and_failures():
    body, now = b'{"a": 1}', time.time()
    good = signature_make(secret="s3", timestamp=int(now), body=body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    signature_verify(secret="s3", timestamp=str(int(now)), signature=good, body=body, now=now)
    for secret, stamp, signature, reason in [
        ("s3", str(int(now)), good.replace("sha256=", "sha1="), "does not match"),
        ("s3", str(int(now) - 301), signature_make(secret="s3", timestamp=int(now) - 301, body=body), "300"),
        ("s3", None, good, "Missing"),
        ("", str(int(now)), good, "WEBHOOK_SECRET"),
    ]:
        with pytest.raises(SignatureInvalid, match=reason):
            signature_verify(secret=secret, timestamp=stamp, signature=signature, body=body, now=now)


@pytest.mark.parametrize("stamp", ["soon", "9" * 400, "-5", "1e9", "１２３", "1" * 13])
def test_malformed_timestamp_header_is_refused_before_it_is_parsed(stamp):
    # A 400-digit value once overflowed the float comparison with the clock (a 500).
    body = b"{}"
    with pytest.raises(TimestampMalformed, match="1 to 12 digits"):
        signature_verify(
            secret="s3", timestamp=stamp, signature=signature_make(secret="s3", timestamp=stamp, body=body),
            body=body,
        )


def test_datetime_objects_from_python_callers():
    data = event_parse(event(occurred_at=datetime(2026, 11, 24, 10, tzinfo=UTC)))
    assert data.payload["occurred_at"] == "2026-11-24T10:00:00+00:00"


def test_the_storability_walk_names_every_problem_and_passes_every_json_type():
    from collections import OrderedDict

    from surveys.bounds import json_problems

    class Text(str):
        pass

    fine = {"s": "ok", "zh": "中文", "n": None, "t": True, "i": 7, "f": 1.5, "l": [1, "a", None], "o": OrderedDict(k="v")}
    assert json_problems(fine) == {}
    bad = {
        "nul": "a\x00b",
        "lone": "x\ud800",
        "sub": Text("y\x00"),
        "nan": float("nan"),
        "set": {1},
        "deep": [[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]],
        "k\x00": 1,
    }
    problems = json_problems(bad)
    assert sorted(problems) == ["deep.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", "k\\u0000", "lone", "nan", "nul", "set", "sub"]


def _csv_row(**overrides):
    from .test_import_tickets import row

    return row("T-1", customer_name="李雷", **overrides)


def _outcome(payload, **flags):
    try:
        return event_parse(payload, **flags)
    except PayloadInvalid as exc:
        return exc.errors


@pytest.mark.parametrize(
    "row",
    [
        _csv_row(),
        _csv_row(is_complaint="yes", contact_count="x7"),  # a bad count: refused the same way
        {"ticket_id": "T-2", "customer_email": "a@b.c"},  # no times: no occurred_at
    ],
)
def test_a_clean_csv_row_is_storable_and_parses_the_same_without_the_walk(row):
    """``row_storable`` lets the import skip ``json_problems`` for a row whose cells are clean:
    then the walk finds nothing, and parsing with ``storable=True`` gives what the walk gives
    (the same event, or the same errors)."""
    from surveys.bounds import json_problems
    from surveys.ingest.csv_rows import row_storable, row_to_payload

    payload = row_to_payload(row, default_source="csv-import")
    assert row_storable(row, default_source="csv-import")
    assert json_problems(payload) == {}
    assert _outcome(payload, decoded=True, storable=True) == _outcome(payload, decoded=True)


@pytest.mark.parametrize("bad", ["nul \x00 here", "lone \udfff surrogate"])
def test_a_cell_with_nul_or_a_lone_surrogate_makes_its_row_walked(bad):
    """Any cell the payload takes (or the default source) holding what cannot be stored makes
    the row not storable, so the walk runs and its error names the field."""
    from surveys.bounds import json_problems
    from surveys.ingest.csv_rows import row_storable, row_to_payload

    clean = _csv_row()
    for column in clean:
        row = {**clean, column: bad}
        assert not row_storable(row, default_source="csv-import"), column
        assert json_problems(row_to_payload(row, default_source="csv-import")), column
    assert not row_storable(clean, default_source=bad)
    # A cell of a column the import does not read is not in the payload; counted all the same.
    assert not row_storable({**clean, "notes": bad}, default_source="csv-import")
    # Cells past the header's columns (csv.DictReader's list under None) are not in the payload.
    assert row_storable({**clean, None: [bad]}, default_source="csv-import")
