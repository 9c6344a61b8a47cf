"""What every native helpdesk webhook adapter shares (docs/integrations.md, "Native helpdesk webhooks").

An adapter module (zendesk.py, freshdesk.py, zammad.py, chatwoot.py) has two functions:

- ``verify(connection, *, meta, body, now)`` raises ``Unauthorized`` unless the call carries the
  helpdesk's signature (or the connection's secret) for exactly these bytes; it runs before
  the body is parsed.
- ``events(connection, *, data, meta, now)`` maps the decoded body onto ticket events in the
  product's own shape (docs/api.md) and returns them as a list of payload dicts, or raises
  ``UnknownEvent`` (a 400: nothing stored), ``Ignored`` (a 200: a real event of the helpdesk
  that says nothing about a ticket's life here) or ``PayloadInvalid``.

Every event id is derived from what the helpdesk signed (ticket id + event + the ticket's
update time), never from an unsigned header, so the same delivery sent twice — a retry or a
replay — is stored once.
"""

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from ..ingest.schema import PayloadInvalid
from ..models import HelpdeskConnection, Language, Priority, Ticket

# A signed call whose timestamp is further than this from our clock is refused (replays).
MAX_CLOCK_SKEW_SECONDS = 300
EVENT_ID_MAX = 200


class Unauthorized(Exception):
    """Missing or wrong signature or secret (401, nothing stored)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class UnknownEvent(Exception):
    """An event this adapter does not know (400, nothing stored)."""

    def __init__(self, name, message=None):
        self.name = str(name)
        self.message = str(message or _("Unknown event type: %(name)s.") % {"name": self.name})
        super().__init__(self.message)


class Ignored(Exception):
    """A valid event that changes no ticket here, e.g. a customer's message (200, nothing stored)."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = str(reason)


def require_secret(connection: HelpdeskConnection) -> None:
    """A helpdesk that signs: until its secret is copied into the connection, refuse everything."""
    if not connection.secret:
        raise Unauthorized(
            _("This connection has no signing secret yet: copy the helpdesk's secret into it.")
        )


def header(meta: Mapping, name: str) -> str | None:
    """A request header from ``request.META`` by its HTTP name (``X-Hub-Signature``)."""
    value = meta.get("HTTP_" + name.upper().replace("-", "_"))
    return value.strip() if isinstance(value, str) else None


def digests_equal(expected: str, given: str | None) -> bool:
    """Constant-time comparison: the time taken tells nothing about how much matched."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def check_skew(sent_at: datetime, now: datetime, header_name: str) -> None:
    if abs((now - sent_at).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        raise Unauthorized(
            _("%(header)s is more than %(max)d seconds from the server's clock.")
            % {"header": header_name, "max": MAX_CLOCK_SKEW_SECONDS}
        )


def text(value: Any) -> str | None:
    """A placeholder's rendering as text; empty, "-" (Zendesk's "none") or an unrendered
    ``{{placeholder}}`` mean "not given"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or value == "-" or (value.startswith("{{") and value.endswith("}}")):
        return None
    return value


def obj(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def moment(value: Any) -> datetime | None:
    """An ISO 8601 string (with an offset) or Unix seconds; anything else is "not given"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    value = text(value)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


_PRIORITY_WORDS = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "medium": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}


def priority(value: Any) -> str | None:
    """Helpdesk priority names (Zendesk's Low…Urgent, Freshdesk's Medium, Zammad's "2 normal",
    Chatwoot's medium) onto ours; an unknown or localised name is "not given", not an error."""
    value = text(value)
    if value is None:
        return None
    return _PRIORITY_WORDS.get(value.lower().split()[-1])


def locale(value: Any, connection: HelpdeskConnection) -> str | None:
    """A language code (``zh-CN``) or name (Zendesk's "Chinese (Simplified)", "简体中文") onto
    one we write emails in; nothing given → the connection's default language."""
    value = text(value)
    if value is None:
        return connection.default_locale or None
    lowered = value.lower()
    if lowered.startswith("zh") or "chinese" in lowered or "中文" in value:
        return Language.ZH_HANS
    return Language.EN


def event_id(*parts: Any) -> str:
    """A stable id from what the helpdesk signed; hashed when it would be too long."""
    joined = ":".join("" if part is None else str(part) for part in parts)
    if len(joined) <= EVENT_ID_MAX:
        return joined
    return f"{parts[0]}:sha256:{hashlib.sha256(joined.encode()).hexdigest()}"


def has_first_response(connection: HelpdeskConnection, ticket_id: str) -> bool:
    """Whether the ticket already has a first response (a later reply must not replace it)."""
    return Ticket.objects.filter(
        source=connection.source, external_id=ticket_id, first_response_at__isnull=False
    ).exists()


def body_event(data: Mapping, events: Mapping) -> tuple[str, Mapping, str | None]:
    """The ``event`` word, the ticket object and the ticket id of a body the administrator
    wrote (Zendesk's trigger, Freshdesk's rule). Raises UnknownEvent for any other word."""
    name = text(data.get("event"))
    if name not in events:
        raise UnknownEvent(
            name or "",
            _('Unknown event %(name)r: the body\'s "event" must be one of %(names)s.')
            % {"name": name or "", "names": ", ".join(events)},
        )
    ticket = obj(data.get("ticket"))
    return name, ticket, text(ticket.get("id"))


def lifecycle_times(
    connection: HelpdeskConnection, *, name: str, ticket_id: str | None, at: datetime
) -> dict:
    """The times an event word sets: ``first_response`` (only while the ticket has none),
    ``solved``/``resolved`` (resolved and closed), ``closed``."""
    if name == "first_response":
        if ticket_id and has_first_response(connection, ticket_id):
            raise Ignored(_("The ticket already has its first response."))
        return {"first_response_at": at}
    if name in ("solved", "resolved"):
        return {"resolved_at": at, "closed_at": at}
    if name == "closed":
        return {"closed_at": at}
    return {}


def event_payload(
    connection: HelpdeskConnection,
    *,
    id: str,
    type: str,
    occurred_at: datetime,
    ticket_id: str | None,
    customer: Mapping,
    agent: Mapping | None = None,
    team: str | None = None,
    **ticket: Any,
) -> dict:
    """One event in the product's shape (docs/api.md), with the connection's defaults filled
    in and the fields the helpdesk left empty dropped. Raises PayloadInvalid without a ticket id."""
    if ticket_id is None:
        raise PayloadInvalid({"ticket.id": [_("The helpdesk sent no ticket id.")]})
    body: dict[str, Any] = {"id": ticket_id}
    body.update({name: value for name, value in ticket.items() if value is not None})
    if body.get("category") is None and connection.default_category:
        body["category"] = connection.default_category
    people = {name: value for name, value in customer.items() if value is not None}
    people.setdefault("locale", connection.default_locale or None)
    body["customer"] = {name: value for name, value in people.items() if value is not None}
    team = team or connection.default_team or None
    if agent and (agent.get("id") or agent.get("email")):
        body["agent"] = {name: value for name, value in {**agent, "team": team}.items() if value is not None}
    return {
        "event_id": id,
        "source": connection.source,
        "type": type,
        "occurred_at": occurred_at,
        "ticket": body,
    }
