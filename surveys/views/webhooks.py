"""The ticket events webhook (docs/api.md): parse, verify, validate, store, answer. Applying the
event is the workers' job (surveys/services/ticket_events.py)."""

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..devmode import dev_secret_refused
from ..ingest.schema import PayloadInvalid
from ..ingest.signing import SignatureInvalid, TimestampMalformed, signature_verify
from ..models import TicketEvent
from ..services.tickets import ticket_event_accept
from ..transient import db_error_is_transient

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _body(request) -> bytes:
    """The raw body, at most MAX_BODY_BYTES + 1 bytes of it.

    Django reads CONTENT_LENGTH bytes, and a chunked request has none, so its body read as
    empty (and its signature failed). The WSGI server de-chunks such a body and says so with
    ``wsgi.input_terminated`` (gunicorn does); then the input is read to its end here, one byte
    past the limit at most so an endless body cannot fill the memory.
    """
    meta = request.META
    if meta.get("CONTENT_LENGTH") or not meta.get("wsgi.input_terminated"):
        return request.body
    stream, chunks, size = meta["wsgi.input"], [], 0
    while size <= MAX_BODY_BYTES:
        chunk = stream.read(MAX_BODY_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# Signed with HMAC and never read with a cookie: a forged cross-site form cannot sign, so
# CSRF protection adds nothing here (and senders have no token).
@csrf_exempt
@require_POST
def ticket_events(request):
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    try:
        body = _body(request)
    except RequestDataTooBig:  # no Content-Length (chunked) and past Django's own limit
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The body is larger than 256 KiB."))
    if dev_secret_refused(request):
        return _error(401, "unauthorized", _("The development webhook secret is accepted only from this machine."))
    try:
        signature_verify(
            secret=settings.WEBHOOK_SECRET,
            # META, not request.headers: no need to build the whole header mapping per event.
            timestamp=request.META.get("HTTP_X_SURVEYS_TIMESTAMP"),
            signature=request.META.get("HTTP_X_SURVEYS_SIGNATURE"),
            body=body,
        )
    except TimestampMalformed as exc:
        return _error(400, "invalid_header", str(exc.message), errors={exc.header: [str(exc.message)]})
    except SignatureInvalid as exc:
        return _error(401, "unauthorized", str(exc.message))
    try:
        payload = json.loads(body)
    except RecursionError:  # nested past the decoder's own limit; shallower depths: the schema
        return _error(400, "invalid_json", _("The body is nested too deeply."))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid_json", _("The body is not valid JSON."))
    try:
        result = ticket_event_accept(payload=payload)
    except PayloadInvalid as exc:
        return _error(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    except DatabaseError as exc:
        if not db_error_is_transient(exc):
            # The same body fails the same way every time: never ask the sender to retry it.
            logger.exception("Ticket event refused by the database")
            return _error(400, "unstorable", _("The database refused a value of this event."))
        logger.warning("Ticket event not stored (transient database error): %s", exc)
        response = _error(503, "unavailable", _("The event could not be stored; retry later."))
        response["Retry-After"] = "30"
        return response
    answer = {"event_id": result.event.event_id, "source": result.event.source}
    if not result.created:
        return JsonResponse({"status": "duplicate", **answer, "state": result.event.status}, status=200)
    return JsonResponse({"status": "stored", **answer}, status=202)


@require_GET
def ticket_event_state(request, source: str, event_id: str):
    """Where a stored event stands (docs/api.md): signed like the webhook, with the request's
    path (as sent, with its query string) in place of the body."""
    if dev_secret_refused(request):
        return _error(401, "unauthorized", _("The development webhook secret is accepted only from this machine."))
    try:
        signature_verify(
            secret=settings.WEBHOOK_SECRET,
            timestamp=request.META.get("HTTP_X_SURVEYS_TIMESTAMP"),
            signature=request.META.get("HTTP_X_SURVEYS_SIGNATURE"),
            body=request.get_full_path().encode(),
        )
    except TimestampMalformed as exc:
        return _error(400, "invalid_header", str(exc.message), errors={exc.header: [str(exc.message)]})
    except SignatureInvalid as exc:
        return _error(401, "unauthorized", str(exc.message))
    event = (
        TicketEvent.objects.select_related("ticket")
        .filter(source=source, event_id=event_id)
        .only("source", "event_id", "status", "received_at", "applied_at", "attempts", "last_error",
              "next_attempt_at", "ticket__external_id")
        .first()
    )
    if event is None:
        return _error(404, "not_found", _("No event with this source and id is stored."))
    return JsonResponse(
        {
            "source": event.source,
            "event_id": event.event_id,
            "status": event.status,
            "received_at": event.received_at.isoformat(),
            "applied_at": event.applied_at.isoformat() if event.applied_at else None,
            "attempts": event.attempts,
            "next_attempt_at": event.next_attempt_at.isoformat() if event.next_attempt_at else None,
            "error": event.last_error or None,
            "ticket_id": event.ticket.external_id if event.ticket else None,
        }
    )
