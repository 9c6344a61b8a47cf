"""The ticket event payload (docs/api.md, "Ticket events webhook"): validation with per-field errors.

``event_parse`` turns a decoded JSON object (or the same shape built in Python, where datetimes
may be ``datetime`` objects) into an ``EventData``, or raises ``PayloadInvalid`` listing every
bad field by its dotted path (``ticket.customer.email``). An optional field that is absent or
null means "not given": the ticket keeps what it had.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ..bounds import SMALLINT_MAX, json_problems, moment_problem
from ..models import Language, Priority, TicketEventType

TICKET_TIMES = ("opened_at", "first_response_at", "resolved_at", "closed_at")
# Read once: a TextChoices' ``values`` builds its list anew on every access (every event).
PRIORITIES = frozenset(Priority.values)
EVENT_TYPES = frozenset(TicketEventType.values)


class PayloadInvalid(Exception):
    """The event cannot be stored; ``errors`` maps each bad field's path to its messages."""

    def __init__(self, errors: Mapping[str, list]):
        self.errors = {path: [str(message) for message in messages] for path, messages in errors.items()}
        super().__init__("; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in self.errors.items()))


@dataclass(frozen=True)
class AgentData:
    external_id: str
    name: str
    email: str
    team: str


@dataclass(frozen=True)
class CustomerData:
    external_id: str
    email: str
    name: str | None
    locale: str | None
    segment: str | None


@dataclass(frozen=True)
class TicketData:
    external_id: str
    customer: CustomerData
    agent: AgentData | None = None
    subject: str | None = None
    reference: str | None = None
    priority: str | None = None
    category: str | None = None
    channel: str | None = None
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    contact_count: int | None = None
    reopen_count: int | None = None
    is_complaint: bool | None = None


@dataclass(frozen=True)
class EventData:
    event_id: str
    source: str
    type: str
    occurred_at: datetime
    ticket: TicketData
    # The event as stored in TicketEvent.payload: JSON-safe, datetimes in ISO 8601.
    payload: dict = field(compare=False)


class _Reader:
    """Reads typed values out of nested mappings, collecting every error instead of stopping."""

    def __init__(self):
        self.errors: dict[str, list] = {}

    def fail(self, path: str, message) -> None:
        self.errors.setdefault(path, []).append(message)

    def text(self, obj: Mapping, key: str, path: str, *, max_length: int, required: bool = False):
        value = obj.get(key)
        if value is None or (required and value == ""):
            if required:
                self.fail(path, _("This field is required."))
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # helpdesks often send numeric ids
        if not isinstance(value, str):
            self.fail(path, _("Must be a string."))
            return None
        value = value.strip()
        if len(value) > max_length:
            self.fail(path, _("At most %(max)d characters.") % {"max": max_length})
            return None
        return value

    def moment(self, obj: Mapping, key: str, path: str, *, required: bool = False) -> datetime | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(path, _("This field is required."))
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail(path, _("Not an ISO 8601 date and time."))
                return None
        if not isinstance(value, datetime):
            self.fail(path, _("Not an ISO 8601 date and time."))
            return None
        if value.utcoffset() is None:
            self.fail(path, _("Needs a UTC offset, e.g. 2026-11-24T10:00:00Z."))
            return None
        if problem := moment_problem(value):
            self.fail(path, problem)
            return None
        return value

    def count(self, obj: Mapping, key: str, path: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SMALLINT_MAX:
            self.fail(path, _("Must be a whole number from 0 to %(max)d.") % {"max": SMALLINT_MAX})
            return None
        return value

    def flag(self, obj: Mapping, key: str, path: str) -> bool | None:
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.fail(path, _("Must be true or false."))
        return None

    def mapping(self, obj: Mapping, key: str, path: str, *, required: bool = False) -> Mapping | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(path, _("This field is required."))
            return None
        if not isinstance(value, Mapping):
            self.fail(path, _("Must be an object."))
            return None
        return value


def locale_normalise(value: str | None) -> str | None:
    """Map a helpdesk's locale to one we write emails in; anything unknown gets English."""
    if value is None:
        return None
    value = value.strip().lower().replace("_", "-")
    if not value:
        return None
    return Language.ZH_HANS if value.startswith("zh") else Language.EN


def _customer(r: _Reader, obj: Mapping) -> CustomerData:
    p = "ticket.customer"
    external_id = r.text(obj, "id", f"{p}.id", max_length=100) or ""
    email = r.text(obj, "email", f"{p}.email", max_length=254) or ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            r.fail(f"{p}.email", _("Not a valid email address."))
    if not external_id and not email and f"{p}.email" not in r.errors and f"{p}.id" not in r.errors:
        r.fail(p, _("Give the customer's id or email (or both)."))
    return CustomerData(
        external_id=external_id,
        email=email,
        name=r.text(obj, "name", f"{p}.name", max_length=200),
        locale=locale_normalise(r.text(obj, "locale", f"{p}.locale", max_length=35)),
        segment=r.text(obj, "segment", f"{p}.segment", max_length=50),
    )


def _agent(r: _Reader, obj: Mapping) -> AgentData | None:
    p = "ticket.agent"
    external_id = r.text(obj, "id", f"{p}.id", max_length=100) or ""
    name = r.text(obj, "name", f"{p}.name", max_length=200) or ""
    email = r.text(obj, "email", f"{p}.email", max_length=254) or ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            r.fail(f"{p}.email", _("Not a valid email address."))
    team = r.text(obj, "team", f"{p}.team", max_length=100) or ""
    if not external_id and not email:
        if name or team:
            r.fail(p, _("Give the agent's id or email."))
        return None
    return AgentData(external_id=external_id, name=name or email or external_id, email=email, team=team)


def _ticket(r: _Reader, obj: Mapping, event_type: str | None, occurred_at: datetime | None) -> TicketData:
    p = "ticket"
    values: dict[str, Any] = {}
    values["external_id"] = r.text(obj, "id", f"{p}.id", max_length=100, required=True)
    values["subject"] = r.text(obj, "subject", f"{p}.subject", max_length=500)
    values["reference"] = r.text(obj, "reference", f"{p}.reference", max_length=100)
    priority = r.text(obj, "priority", f"{p}.priority", max_length=10)
    if priority is not None:
        priority = priority.lower()
        if priority not in PRIORITIES:
            r.fail(
                f"{p}.priority", _("Must be one of: %(choices)s.") % {"choices": ", ".join(Priority.values)}
            )
            priority = None
    values["priority"] = priority
    values["category"] = r.text(obj, "category", f"{p}.category", max_length=100)
    values["channel"] = r.text(obj, "channel", f"{p}.channel", max_length=50)
    for name in TICKET_TIMES:
        values[name] = r.moment(obj, name, f"{p}.{name}")
    if (
        event_type == TicketEventType.CLOSED
        and values["closed_at"] is None
        and f"{p}.closed_at" not in r.errors
    ):
        values["closed_at"] = occurred_at  # a close event without a closing time closed when it happened
    opened_at = values["opened_at"]
    if opened_at is not None:
        for name in TICKET_TIMES[1:]:
            if values[name] is not None and values[name] < opened_at:
                r.fail(f"{p}.{name}", _("Cannot be earlier than opened_at."))
    values["contact_count"] = r.count(obj, "contact_count", f"{p}.contact_count")
    values["reopen_count"] = r.count(obj, "reopen_count", f"{p}.reopen_count")
    values["is_complaint"] = r.flag(obj, "is_complaint", f"{p}.is_complaint")
    agent = r.mapping(obj, "agent", f"{p}.agent")
    values["agent"] = _agent(r, agent) if agent is not None else None
    customer = r.mapping(obj, "customer", f"{p}.customer", required=True)
    values["customer"] = _customer(r, customer) if customer is not None else None
    return TicketData(**values)


def _json_safe(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def event_parse(data: Any, *, storable: bool = False, decoded: bool = False) -> EventData:
    """Validate one ticket event. Returns EventData or raises PayloadInvalid (every bad field).

    ``storable``: ``data`` is known to hold JSON's own types only and to be storable as it is:
    a payload read back from a stored event (``TicketEvent.payload``, decoded JSON the database
    already holds), or a CSV row's payload whose cells were checked (``csv_rows.row_storable``).
    The two passes over the whole payload that are about storing it, the storability check
    (``json_problems``) and the JSON-safe copy, are skipped (``payload`` is ``data`` itself);
    every field is read and checked as ever.
    ``decoded``: ``data`` holds JSON's own types only (``json.loads`` of a body, a CSV row's
    payload), so it is checked as ever but stored as it is, not copied: only a Python caller's
    datetimes and tuples need the JSON-safe copy."""
    if not isinstance(data, Mapping):
        raise PayloadInvalid({"": [_("The body must be a JSON object.")]})
    # Anywhere in the event, not only the fields read below: the whole event is stored.
    if not storable and (problems := json_problems(data)):
        raise PayloadInvalid(problems)
    r = _Reader()
    event_id = r.text(data, "event_id", "event_id", max_length=200, required=True)
    source = r.text(data, "source", "source", max_length=100, required=True)
    event_type = r.text(data, "type", "type", max_length=20, required=True)
    if event_type is not None and event_type not in EVENT_TYPES:
        r.fail("type", _("Must be one of: %(choices)s.") % {"choices": ", ".join(TicketEventType.values)})
        event_type = None
    occurred_at = r.moment(data, "occurred_at", "occurred_at", required=True)
    ticket_obj = r.mapping(data, "ticket", "ticket", required=True)
    ticket = _ticket(r, ticket_obj, event_type, occurred_at) if ticket_obj is not None else None
    if r.errors:
        raise PayloadInvalid(r.errors)
    return EventData(
        event_id=event_id,
        source=source,
        type=event_type,
        occurred_at=occurred_at,
        ticket=ticket,
        payload=data if storable or decoded else _json_safe(data),
    )
