"""Lists sent to PostgreSQL in psycopg's binary array format (surveys/binary_arrays.py): every
connection does it, and the values that arrive are the ones psycopg's default text format sends."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from psycopg.adapt import PyFormat
from psycopg.types.array import ListBinaryDumper, ListDumper
from psycopg.types.json import Jsonb

from surveys.models import TicketEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's arrays: PostgreSQL only"),
]

# What a text array literal has to quote or escape, and what it does not.
TEXTS = ['plain', 'a "quoted" word', "back\\slash", "{braces},comma", "", " spaced ", "NULL", "中文 ✓ 😀", None]
PAYLOADS = [
    {"ticket": {"subject": 'He said "no" \\ {x}', "tags": ["a,b", "c"]}},
    {"n": 1, "f": 1.5, "ok": True, "none": None},
    {"zh": "客户满意度", "emoji": "😀"},
]
MOMENTS = [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), None, datetime(2000, 1, 1, tzinfo=UTC)]
SQL = (
    "SELECT a, b, c, d, e FROM UNNEST("
    "(%s)::varchar[], (%s)::jsonb[], (%s)::bigint[], (%s)::timestamptz[], (%s)::interval[]"
    ") AS t(a, b, c, d, e)"
)


def _columns():
    n = len(TEXTS)
    payloads = [Jsonb(PAYLOADS[i % len(PAYLOADS)]) if i % 4 else None for i in range(n)]
    numbers = [None if i == 2 else (-1) ** i * 10**i for i in range(n)]
    moments = [MOMENTS[i % len(MOMENTS)] for i in range(n)]
    spans = [timedelta(seconds=i * 3601) if i % 3 else None for i in range(n)]
    return [TEXTS, payloads, numbers, moments, spans]


def test_every_new_connection_sends_lists_in_binary():
    fresh = connections.create_connection(DEFAULT_DB_ALIAS)  # a connection of its own, opened here
    try:
        fresh.ensure_connection()
        assert fresh.connection.adapters.get_dumper(list, PyFormat.AUTO) is ListBinaryDumper
    finally:
        fresh.close()


def test_the_arrays_arrive_as_psycopgs_text_format_sends_them():
    """The twin: the same statement with psycopg's default list dumper (text) on one cursor."""
    with connection.cursor() as ours:
        ours.execute(SQL, _columns())
        binary_rows = ours.fetchall()
    with connection.cursor() as theirs:
        theirs.cursor.adapters.register_dumper(list, ListDumper)  # this cursor only
        theirs.execute(SQL, _columns())
        text_rows = theirs.fetchall()

    assert binary_rows == text_rows
    assert [row[0] for row in binary_rows] == TEXTS


def test_bulk_created_events_read_back_as_given():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    events = [
        TicketEvent(source="twin", event_id=f"e{i}", type="ticket.closed", occurred_at=now, payload=payload)
        for i, payload in enumerate(PAYLOADS + [{"s": text} for text in TEXTS])
    ]

    TicketEvent.objects.bulk_create(events)

    stored = dict(TicketEvent.objects.filter(source="twin").values_list("event_id", "payload"))
    assert stored == {event.event_id: event.payload for event in events}
