"""CSV rows → ticket event payloads (the webhook's shape), for ``manage.py import_tickets``.

Columns are the webhook's fields, flattened: ``ticket.id`` is ``ticket_id``, ``ticket.agent.team``
is ``agent_team``, ``ticket.customer.email`` is ``customer_email`` and so on (docs/api.md).
An empty cell is an absent field. Defaults that make a plain export of closed tickets
importable: ``type`` = ticket.closed, ``source`` = the command's ``--source``, ``occurred_at`` =
the latest of the ticket's times, and ``event_id`` = a fingerprint of the row's key fields, so
importing the same file twice reports duplicates instead of applying anything twice.
"""

import hashlib
from collections.abc import Mapping

from ..bounds import text_problem

EVENT_COLUMNS = ("event_id", "source", "type", "occurred_at")
TICKET_COLUMNS = (
    "subject",
    "priority",
    "category",
    "channel",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "contact_count",
    "reopen_count",
    "is_complaint",
)
PERSON_COLUMNS = {
    "agent": ("id", "name", "email", "team"),
    "customer": ("id", "email", "name", "locale", "segment"),
}
INTEGER_COLUMNS = {"contact_count", "reopen_count"}
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}

KNOWN_COLUMNS = frozenset(
    {*EVENT_COLUMNS, "ticket_id", *TICKET_COLUMNS}
    | {f"{who}_{name}" for who, names in PERSON_COLUMNS.items() for name in names}
)
DEFAULT_TYPE = "ticket.closed"


def _cell(row: Mapping, column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _typed(column: str, value: str | None):
    """Numbers and booleans as the webhook's JSON would carry them; anything unreadable is left
    as text so the payload validation names the column's field in its error."""
    if value is None:
        return None
    if column in INTEGER_COLUMNS:
        # ASCII digits only ("²".isdigit() is true but int() refuses it), and few enough that
        # int() cannot refuse a 5,000-digit cell: a longer number is out of range anyway.
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else value
    if column == "is_complaint":
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return value


def row_to_payload(row: Mapping[str, str], *, default_source: str) -> dict:
    """Build the event payload for one CSV row (validation is the schema's job)."""
    ticket: dict = {"id": _cell(row, "ticket_id")}
    for column in TICKET_COLUMNS:
        ticket[column] = _typed(column, _cell(row, column))
    for who, names in PERSON_COLUMNS.items():
        person = {name: _cell(row, f"{who}_{name}") for name in names}
        ticket[who] = person if any(person.values()) else None
    times = [ticket[name] for name in ("closed_at", "resolved_at", "first_response_at", "opened_at")]
    payload = {
        "source": _cell(row, "source") or default_source,
        "type": _cell(row, "type") or DEFAULT_TYPE,
        # ISO 8601 strings with one offset sort as their instants do; mixed offsets are rare in
        # one export, and an explicit occurred_at column always wins.
        "occurred_at": _cell(row, "occurred_at") or max((t for t in times if t), default=None),
        "ticket": ticket,
    }
    payload["event_id"] = _cell(row, "event_id") or _fingerprint(payload)
    return payload


def row_storable(row: Mapping, *, default_source: str) -> bool:
    """Whether the payload ``row_to_payload`` builds from ``row`` can be stored as it is, so
    ``event_parse(payload, storable=True)`` may skip the walk over it (``json_problems``).

    Such a payload holds JSON's own types only (str, int, bool, None), nested two levels, under
    keys of our own; its strings are the row's cells, the default source and a fingerprint of
    hex digits. So it is storable exactly when no cell (nor the source) holds a NUL or a lone
    surrogate, which the cells joined answer in one pass. A row that is not is walked as ever,
    so its error still names the field."""
    cells = "".join([default_source, *(v for v in row.values() if isinstance(v, str))])
    return text_problem(cells) is None


def _fingerprint(payload: Mapping) -> str:
    key = "\x1f".join(str(payload[k] or "") for k in ("source", "type", "occurred_at"))
    key += "\x1f" + str(payload["ticket"]["id"] or "")
    # surrogatepass: a cell that was not UTF-8 (a lone surrogate) still gives a fingerprint; the
    # row is then refused naming the field, not the whole import stopped here.
    return "csv-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
