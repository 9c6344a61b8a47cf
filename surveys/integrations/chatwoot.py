"""Chatwoot: an account webhook (Settings → Integrations → Webhooks) subscribed to
conversation events (docs/integrations.md, "Chatwoot").

Payloads (chatwoot/chatwoot ``app/listeners/webhook_listener.rb``; examples in chatwoot/docs
``docs/product/others/webhook-events.md``): the conversation's ``webhook_data`` plus ``event``
(and ``changed_attributes`` for status changes and updates); ``message_created`` is the
message's ``webhook_data`` with the conversation inside it. Older Chatwoot sends no signature:
the URL token authenticates. Newer versions give each webhook a secret and sign
(``app/jobs/webhook_job.rb`` passes ``secret`` and ``delivery_id``): ``X-Chatwoot-Timestamp``
and ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``; when the
connection has a secret, that signature is required.
"""

import hashlib
import hmac
from datetime import datetime

from django.utils.translation import gettext as _

from ..models import TicketEventType
from .base import (
    Ignored,
    Unauthorized,
    UnknownEvent,
    check_skew,
    digests_equal,
    event_id,
    event_payload,
    has_first_response,
    header,
    locale,
    moment,
    obj,
    priority,
    text,
)

SIGNATURE = "X-Chatwoot-Signature"
TIMESTAMP = "X-Chatwoot-Timestamp"

STATUSES = {
    "open": TicketEventType.OPENED,  # on a resolved conversation the service makes it a reopen
    "resolved": TicketEventType.CLOSED,
    "pending": TicketEventType.UPDATED,
    "snoozed": TicketEventType.UPDATED,
}
CONVERSATION_EVENTS = (
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "conversation_opened",
    "conversation_resolved",
)
# Chatwoot events that say nothing about a conversation's life here: answered 200, ignored.
OTHER_EVENTS = (
    "message_updated",
    "contact_created",
    "contact_updated",
    "webwidget_triggered",
    "conversation_typing_on",
    "conversation_typing_off",
    "inbox_created",
    "inbox_updated",
)


def signature_make(*, secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(connection, *, meta, body: bytes, now: datetime) -> None:
    if not connection.secret:
        return  # unsigned Chatwoot: the URL token is the credential
    timestamp, signature = header(meta, TIMESTAMP), header(meta, SIGNATURE)
    if not timestamp or not signature:
        raise Unauthorized(_("Missing %(a)s or %(b)s header.") % {"a": SIGNATURE, "b": TIMESTAMP})
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Unauthorized(_("%(header)s is not Unix seconds.") % {"header": TIMESTAMP})
    if not digests_equal(signature_make(secret=connection.secret, timestamp=timestamp, body=body), signature):
        raise Unauthorized(_("The signature does not match the body."))
    sent_at = moment(int(timestamp))
    if sent_at is None:
        raise Unauthorized(_("%(header)s is not Unix seconds.") % {"header": TIMESTAMP})
    check_skew(sent_at, now, TIMESTAMP)


def _ticket(connection, conversation, *, name: str, stamp, kind, occurred_at, **fields) -> dict:
    meta = obj(conversation.get("meta"))
    sender, assignee = obj(meta.get("sender")), obj(meta.get("assignee"))
    labels = conversation.get("labels")
    channel = text(conversation.get("channel")) or ""
    attributes = obj(conversation.get("additional_attributes"))
    conversation_id = text(conversation.get("id"))
    return event_payload(
        connection,
        id=event_id("chatwoot", conversation_id, name, stamp),
        type=kind,
        occurred_at=occurred_at,
        ticket_id=conversation_id,
        priority=priority(conversation.get("priority")),
        category=text(labels[0]) if isinstance(labels, list) and labels else None,
        channel=channel.removeprefix("Channel::").lower() or None,
        opened_at=moment(conversation.get("created_at")),
        customer={
            "id": text(sender.get("id")),
            "email": text(sender.get("email")),
            "name": text(sender.get("name")),
            "locale": locale(attributes.get("browser_language"), connection),
        },
        agent={
            "id": text(assignee.get("id")),
            "email": text(assignee.get("email")),
            "name": text(assignee.get("available_name") or assignee.get("name")),
        },
        team=text(obj(meta.get("team")).get("name")),
        **fields,
    )


def _first_response(connection, data, now: datetime) -> dict:
    sender = obj(data.get("sender"))
    outgoing = data.get("message_type") in ("outgoing", 1)
    if not outgoing or data.get("private") or text(sender.get("type")) != "user":
        raise Ignored(_("Only an agent's public reply is a response."))
    conversation = obj(data.get("conversation"))
    conversation_id = text(conversation.get("id"))
    if conversation_id and has_first_response(connection, conversation_id):
        raise Ignored(_("The conversation already has its first response."))
    sent_at = moment(data.get("created_at")) or now
    return _ticket(
        connection,
        conversation,
        name="first_response",
        stamp=text(data.get("id")),
        kind=TicketEventType.UPDATED,
        occurred_at=sent_at,
        first_response_at=sent_at,
    )


def events(connection, *, data, meta, now: datetime) -> list[dict]:
    name = text(data.get("event")) or ""
    if name == "message_created":
        return [_first_response(connection, data, now)]
    if name in OTHER_EVENTS:
        raise Ignored(_("%(name)s changes no ticket.") % {"name": name})
    if name not in CONVERSATION_EVENTS:
        raise UnknownEvent(name)
    status = text(data.get("status")) or ""
    if status not in STATUSES:
        raise UnknownEvent(status, _("Unknown conversation status %(status)r.") % {"status": status})
    kind = TicketEventType.OPENED if name == "conversation_created" else STATUSES[status]
    if name == "conversation_updated" and kind != TicketEventType.UPDATED:
        kind = TicketEventType.UPDATED  # an assignment or label change, not a status change
    # updated_at (newer versions) else the last activity: stable across retries of one delivery.
    changed_at = moment(data.get("updated_at")) or moment(data.get("timestamp"))
    occurred_at = changed_at or now
    fields = {}
    if kind == TicketEventType.CLOSED:
        fields["resolved_at"] = fields["closed_at"] = occurred_at
    stamp = (changed_at or now).isoformat()
    return [
        _ticket(
            connection,
            data,
            name=f"{name}:{status}",
            stamp=stamp,
            kind=kind,
            occurred_at=occurred_at,
            **fields,
        )
    ]
