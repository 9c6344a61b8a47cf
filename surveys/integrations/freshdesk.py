"""Freshdesk: automation rules whose action is "Trigger webhook", with a JSON body the
administrator pastes (docs/integrations.md, "Freshdesk").

Freshdesk signs nothing (https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules):
the connection's unguessable URL token authenticates the call, and when the connection has a
secret the rule must also send it in a custom header ``X-Surveys-Secret``. The placeholders
(``{{ticket.id}}``, ``{{ticket.status}}``, ``{{ticket.agent.email}}``, ``{{ticket.group.name}}``…)
are those Freshdesk lists under "Insert placeholder"
(https://support.freshdesk.com/support/solutions/articles/73000535240). Freshdesk offers no
ISO time placeholder, so an event happened when it arrived, and a retry within the same
minute is the same event.
"""

from datetime import datetime

from django.utils.translation import gettext as _

from ..models import TicketEventType
from .base import (
    Unauthorized,
    body_event,
    digests_equal,
    event_id,
    event_payload,
    header,
    lifecycle_times,
    locale,
    obj,
    priority,
    text,
)

HEADER = "X-Surveys-Secret"

EVENTS = {
    "created": TicketEventType.OPENED,
    "first_response": TicketEventType.UPDATED,
    "updated": TicketEventType.UPDATED,
    "resolved": TicketEventType.CLOSED,
    "closed": TicketEventType.CLOSED,
    "reopened": TicketEventType.REOPENED,
}


def verify(connection, *, meta, body: bytes, now: datetime) -> None:
    if connection.secret and not digests_equal(connection.secret, header(meta, HEADER)):
        raise Unauthorized(_("Missing or wrong %(header)s header.") % {"header": HEADER})


def events(connection, *, data, meta, now: datetime) -> list[dict]:
    name, ticket, ticket_id = body_event(data, EVENTS)
    fields = lifecycle_times(connection, name=name, ticket_id=ticket_id, at=now)
    agent, requester = obj(ticket.get("agent")), obj(ticket.get("requester"))
    payload = event_payload(
        connection,
        id=event_id("freshdesk", ticket_id, name, now.strftime("%Y-%m-%dT%H:%MZ")),
        type=EVENTS[name],
        occurred_at=now,
        ticket_id=ticket_id,
        subject=text(ticket.get("subject")),
        priority=priority(ticket.get("priority")),
        category=text(ticket.get("type")),
        channel=(text(ticket.get("source")) or "").lower() or None,
        customer={
            "id": text(requester.get("id")),
            "email": text(requester.get("email")),
            "name": text(requester.get("name")),
            "locale": locale(requester.get("language"), connection),
        },
        agent={"email": text(agent.get("email")), "name": text(agent.get("name"))},
        team=text(ticket.get("group")),
        **fields,
    )
    return [payload]
