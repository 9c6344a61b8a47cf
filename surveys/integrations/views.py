"""``POST /hooks/<kind>/<url_token>/``: a helpdesk's own webhook, verified, mapped onto ticket
events and recorded (docs/integrations.md, "Native helpdesk webhooks").

Answers: 202 stored, 200 duplicate or ignored (a real event of the helpdesk that changes no
ticket here), 400 bad JSON / unknown event / invalid fields, 401 bad signature or secret, 404
unknown or inactive connection, 413 over 256 KiB, 503 transient database error. Nothing is
stored on any 4xx.
"""

import hmac
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..ingest.schema import PayloadInvalid, event_parse
from ..models import HelpdeskConnection
from ..services.tickets import ticket_event_accept
from ..transient import db_error_is_transient
from ..views.webhooks import MAX_BODY_BYTES, _body
from . import chatwoot, freshdesk, zammad, zendesk
from .base import Ignored, Unauthorized, UnknownEvent

logger = logging.getLogger(__name__)

ADAPTERS = {"zendesk": zendesk, "freshdesk": freshdesk, "zammad": zammad, "chatwoot": chatwoot}


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


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


def _too_large(request) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > MAX_BODY_BYTES


# Authenticated by the URL token and the helpdesk's signature, never by a cookie: CSRF
# protection adds nothing, and helpdesks have no token to send.
@csrf_exempt
@require_POST
def helpdesk_hook(request, kind: str, token: str):
    adapter = ADAPTERS.get(kind)
    connection = _connection(kind, token) if adapter else None
    if connection is None:
        return _error(404, "not_found", _("No active helpdesk connection has this address."))
    if _too_large(request):
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    try:
        body = _body(request)
    except RequestDataTooBig:
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    now = timezone.now()
    try:
        adapter.verify(connection, meta=request.META, body=body, now=now)
    except Unauthorized as exc:
        return _error(401, "unauthorized", exc.message)
    try:
        data = json.loads(body)
    except RecursionError:
        return _error(400, "invalid_json", _("The body is nested too deeply."))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid_json", _("The body is not valid JSON."))
    if not isinstance(data, dict):
        return _error(400, "invalid_json", _("The body must be a JSON object."))
    try:
        payloads = adapter.events(connection, data=data, meta=request.META, now=now)
        for payload in payloads:
            event_parse(payload)  # every event valid before any is stored
    except Ignored as exc:
        return JsonResponse({"status": "ignored", "reason": exc.reason}, status=200)
    except UnknownEvent as exc:
        return _error(400, "unknown_event", exc.message, event=exc.name)
    except PayloadInvalid as exc:
        return _error(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    return _record_all(payloads)


def _record_all(payloads: list[dict]) -> JsonResponse:
    results = []
    try:
        for payload in payloads:
            results.append(event_record(payload))
    except PayloadInvalid as exc:  # the event contradicts the stored ticket
        return _error(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    except DatabaseError as exc:
        if not db_error_is_transient(exc):
            logger.exception("Helpdesk event refused by the database")
            return _error(400, "unstorable", _("The database refused a value of this event."))
        logger.warning("Helpdesk event not stored (transient database error): %s", exc)
        response = _error(503, "unavailable", _("The event could not be stored; retry later."))
        response["Retry-After"] = "30"
        return response
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
