"""``POST /hooks/<kind>/<url_token>/``: a helpdesk's own webhook, verified, mapped onto ticket
events and recorded (docs/integrations.md, "Native helpdesk webhooks").

Answers: 202 stored, 200 duplicate or ignored (a real event of the helpdesk that changes no
ticket here), 400 bad JSON / unknown event / invalid fields, 401 bad signature or secret, 404
unknown or inactive connection, 413 over 256 KiB, 503 transient database error. Nothing is
stored on any 4xx.
"""

import hmac
import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..ingest.schema import PayloadInvalid, event_parse
from ..models import HelpdeskConnection
from ..services.tickets import ticket_event_accept
from ..views.receiving import Refused, body_read, database_refused, error_json, json_read
from . import chatwoot, freshdesk, zammad, zendesk
from .base import Ignored, Unauthorized, UnknownEvent

logger = logging.getLogger(__name__)

ADAPTERS = {"zendesk": zendesk, "freshdesk": freshdesk, "zammad": zammad, "chatwoot": chatwoot}


def _connection(kind: str, token: str) -> HelpdeskConnection | None:
    """The active connection of this kind whose token matches, compared in constant time."""
    found = None
    for connection in HelpdeskConnection.objects.filter(kind=kind, active=True):
        if hmac.compare_digest(connection.url_token.encode(), token.encode()):
            found = connection
    return found


def event_record(payload: dict):
    """The one place a helpdesk's event enters the product: stored, as our own webhook stores
    it, for the workers to apply within seconds (docs/api.md, "What 202 promises")."""
    return ticket_event_accept(payload=payload)


# Authenticated by the URL token and the helpdesk's signature, never by a cookie: CSRF
# protection adds nothing, and helpdesks have no token to send.
@csrf_exempt
@require_POST
def helpdesk_hook(request, kind: str, token: str):
    adapter = ADAPTERS.get(kind)
    connection = _connection(kind, token) if adapter else None
    if connection is None:
        return error_json(404, "not_found", _("No active helpdesk connection has this address."))
    try:
        body = body_read(request)
    except Refused as refused:
        return refused.answer
    now = timezone.now()
    try:
        adapter.verify(connection, meta=request.META, body=body, now=now)
    except Unauthorized as exc:
        return error_json(401, "unauthorized", exc.message)
    try:
        data = json_read(body)
    except Refused as refused:
        return refused.answer
    if not isinstance(data, dict):
        return error_json(400, "invalid_json", _("The body must be a JSON object."))
    try:
        payloads = adapter.events(connection, data=data, meta=request.META, now=now)
        for payload in payloads:
            event_parse(payload)  # every event valid before any is stored
    except Ignored as exc:
        return JsonResponse({"status": "ignored", "reason": exc.reason}, status=200)
    except UnknownEvent as exc:
        return error_json(400, "unknown_event", exc.message, event=exc.name)
    except PayloadInvalid as exc:
        return error_json(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    return _record_all(payloads)


def _record_all(payloads: list[dict]) -> JsonResponse:
    results = []
    try:
        for payload in payloads:
            results.append(event_record(payload))
    except PayloadInvalid as exc:  # the event contradicts the stored ticket
        return error_json(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    except DatabaseError as exc:
        return database_refused(exc)
    answer = [
        {
            "event_id": r.event.event_id,
            "status": "stored" if r.created else "duplicate",
            "state": r.event.status,  # stored until a worker applies it (within seconds)
        }
        for r in results
    ]
    created = any(r.created for r in results)
    return JsonResponse(
        {"status": "stored" if created else "duplicate", "events": answer}, status=202 if created else 200
    )
