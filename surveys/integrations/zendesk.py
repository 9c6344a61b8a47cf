"""Zendesk: a webhook connected to triggers whose JSON body the administrator pastes
(docs/integrations.md, "Zendesk").

Signature (https://developer.zendesk.com/documentation/webhooks/verifying/):
``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(signing secret, timestamp + body)), the
timestamp being ``X-Zendesk-Webhook-Signature-Timestamp`` as sent, in ISO 8601
(``2021-03-25T05:09:27Z``, https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request).
The body is ours: the placeholders of https://support.zendesk.com/hc/en-us/articles/203662156
rendered by Zendesk, plus an ``event`` word the trigger states.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from django.utils.translation import gettext as _

from ..models import TicketEventType
from .base import (
    Unauthorized,
    body_event,
    check_skew,
    digests_equal,
    event_id,
    event_payload,
    header,
    lifecycle_times,
    locale,
    moment,
    obj,
    priority,
    require_secret,
    text,
)

SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"

# The trigger's "event" → our event type. "first_response" is an update carrying the time.
EVENTS = {
    "created": TicketEventType.OPENED,
    "first_response": TicketEventType.UPDATED,
    "updated": TicketEventType.UPDATED,
    "solved": TicketEventType.CLOSED,
    "closed": TicketEventType.CLOSED,
    "reopened": TicketEventType.REOPENED,
}


def signature_make(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def verify(connection, *, meta, body: bytes, now: datetime) -> None:
    require_secret(connection)
    timestamp, signature = header(meta, TIMESTAMP), header(meta, SIGNATURE)
    if not timestamp or not signature:
        raise Unauthorized(_("Missing %(a)s or %(b)s header.") % {"a": SIGNATURE, "b": TIMESTAMP})
    expected = signature_make(secret=connection.secret, timestamp=timestamp, body=body)
    if not digests_equal(expected, signature):
        raise Unauthorized(_("The signature does not match the body."))
    sent_at = moment(timestamp)
    if sent_at is None:
        raise Unauthorized(_("%(header)s is not an ISO 8601 time.") % {"header": TIMESTAMP})
    check_skew(sent_at, now, TIMESTAMP)


def events(connection, *, data, meta, now: datetime) -> list[dict]:
    name, ticket, ticket_id = body_event(data, EVENTS)
    updated_at = moment(ticket.get("updated_at"))
    occurred_at = updated_at or now
    fields = lifecycle_times(connection, name=name, ticket_id=ticket_id, at=occurred_at)
    assignee, requester = obj(ticket.get("assignee")), obj(ticket.get("requester"))
    payload = event_payload(
        connection,
        id=event_id("zendesk", ticket_id, name, (updated_at or now).isoformat()),
        type=EVENTS[name],
        occurred_at=occurred_at,
        ticket_id=ticket_id,
        subject=text(ticket.get("subject")),
        priority=priority(ticket.get("priority")),
        category=text(ticket.get("category")),
        channel=text(ticket.get("channel")),
        opened_at=moment(ticket.get("created_at")),
        customer={
            "id": text(requester.get("id")),
            "email": text(requester.get("email")),
            "name": text(requester.get("name")),
            "locale": locale(requester.get("language"), connection),
        },
        agent={
            "id": text(assignee.get("id")),
            "email": text(assignee.get("email")),
            "name": text(assignee.get("name")),
        },
        team=text(ticket.get("group")),
        **fields,
    )
    return [payload]
