"""Zammad: a webhook (Manage → Webhook) called by a trigger; Zammad writes the body itself
(docs/integrations.md, "Zammad").

Payload: ``{"ticket": {...}, "article": {...}}`` — the ticket's attributes with its owner,
customer, group, priority and organization resolved into objects, and the triggering article
(zammad/zammad ``app/jobs/trigger_webhook_job.rb`` and ``record_payload/ticket.rb``; example in
zammad/zammad-admin-documentation ``manage/webhook/payload.rst``). Headers ``X-Zammad-Trigger``
(the trigger's name), ``X-Zammad-Delivery`` (the job id) and, when the webhook has an "HMAC SHA1
Signature Token", ``X-Hub-Signature: sha1=<hex HMAC-SHA1(token, body)>``. There is no signed
timestamp; a replayed body has the same ticket ``updated_at`` and so the same event id.
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
    digests_equal,
    event_id,
    event_payload,
    header,
    locale,
    moment,
    obj,
    priority,
    require_secret,
    text,
)

SIGNATURE = "X-Hub-Signature"
SYSTEM_USER_ID = 1  # Zammad's "-" user: owner 1 means nobody owns the ticket

# Zammad's default ticket states; "pending …" states keep the ticket unresolved.
STATES = {
    "new": TicketEventType.OPENED,
    "open": TicketEventType.OPENED,  # on a closed ticket the service makes it a reopen
    "pending reminder": TicketEventType.UPDATED,
    "pending close": TicketEventType.UPDATED,
    "closed": TicketEventType.CLOSED,
}
IGNORED_STATES = ("merged", "removed")


def signature_make(*, secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def verify(connection, *, meta, body: bytes, now: datetime) -> None:
    require_secret(connection)
    if not digests_equal(signature_make(secret=connection.secret, body=body), header(meta, SIGNATURE)):
        raise Unauthorized(
            _(
                "Missing or wrong %(header)s: set the webhook's HMAC SHA1 Signature Token to this connection's secret."
            )
            % {"header": SIGNATURE}
        )


def _person(user) -> dict:
    user = obj(user)
    name = " ".join(part for part in (text(user.get("firstname")), text(user.get("lastname"))) if part)
    return {"id": text(user.get("id")), "email": text(user.get("email")), "name": name or None}


def events(connection, *, data, meta, now: datetime) -> list[dict]:
    ticket = obj(data.get("ticket"))
    state = (text(ticket.get("state")) or "").lower()
    if state in IGNORED_STATES:
        raise Ignored(_("A %(state)s ticket is not surveyed.") % {"state": state})
    if state not in STATES:
        raise UnknownEvent(
            state,
            _("Unknown ticket state %(state)r: the trigger should fire on states %(states)s.")
            % {"state": state, "states": ", ".join(STATES)},
        )
    updated_at = moment(ticket.get("updated_at"))
    occurred_at = updated_at or now
    kind = STATES[state]
    fields = {"first_response_at": moment(ticket.get("first_response_at"))}
    if kind == TicketEventType.CLOSED:
        fields["closed_at"] = moment(ticket.get("close_at")) or occurred_at
    owner = obj(ticket.get("owner"))
    agent = None if text(ticket.get("owner_id")) in (None, str(SYSTEM_USER_ID)) else _person(owner)
    customer = _person(ticket.get("customer"))
    customer["locale"] = locale(None, connection)  # Zammad leaves user preferences out
    payload = event_payload(
        connection,
        id=event_id("zammad", text(ticket.get("id")), state, (updated_at or now).isoformat()),
        type=kind,
        occurred_at=occurred_at,
        ticket_id=text(ticket.get("id")),
        reference=text(ticket.get("number")),
        subject=text(ticket.get("title")),
        priority=priority(obj(ticket.get("priority")).get("name") or ticket.get("priority")),
        channel=text(ticket.get("create_article_type")),
        opened_at=moment(ticket.get("created_at")),
        customer=customer,
        agent=agent,
        team=text(obj(ticket.get("group")).get("name") or ticket.get("group")),
        **fields,
    )
    return [payload]
