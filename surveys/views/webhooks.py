"""The ticket events webhook (docs/api.md): parse, verify, validate, store, answer. Applying the
event is the workers' job (surveys/services/ticket_events.py)."""

import logging

from django.conf import settings
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
from .receiving import Refused, body_read, database_refused, error_json, json_read

logger = logging.getLogger(__name__)

def _unsigned(request, signed: bytes) -> JsonResponse | None:
    """The refusal when ``signed`` does not carry a valid signature of the webhook secret (or the
    development secret is used from another machine); None when it does."""
    if dev_secret_refused(request):
        return error_json(401, "unauthorized", _("The development webhook secret is accepted only from this machine."))
    try:
        signature_verify(
            secret=settings.WEBHOOK_SECRET,
            # META, not request.headers: no need to build the whole header mapping per event.
            timestamp=request.META.get("HTTP_X_SURVEYS_TIMESTAMP"),
            signature=request.META.get("HTTP_X_SURVEYS_SIGNATURE"),
            body=signed,
        )
    except TimestampMalformed as exc:
        return error_json(400, "invalid_header", str(exc.message), errors={exc.header: [str(exc.message)]})
    except SignatureInvalid as exc:
        return error_json(401, "unauthorized", str(exc.message))
    return None


# Signed with HMAC and never read with a cookie: a forged cross-site form cannot sign, so
# CSRF protection adds nothing here (and senders have no token).
@csrf_exempt
@require_POST
def ticket_events(request):
    try:
        body = body_read(request)
    except Refused as refused:
        return refused.answer
    refused = _unsigned(request, body)
    if refused is not None:
        return refused
    try:
        payload = json_read(body)
    except Refused as refused:
        return refused.answer
    try:
        result = ticket_event_accept(payload=payload, decoded=True)
    except PayloadInvalid as exc:
        return error_json(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    except DatabaseError as exc:
        return database_refused(exc)
    answer = {"event_id": result.event.event_id, "source": result.event.source}
    if not result.created:
        return JsonResponse({"status": "duplicate", **answer, "state": result.event.status}, status=200)
    return JsonResponse({"status": "stored", **answer}, status=202)


@require_GET
def ticket_event_state(request, source: str, event_id: str):
    """Where a stored event stands (docs/api.md): signed like the webhook, with the request's
    path (as sent, with its query string) in place of the body."""
    refused = _unsigned(request, request.get_full_path().encode())
    if refused is not None:
        return refused
    event = (
        TicketEvent.objects.select_related("ticket")
        .filter(source=source, event_id=event_id)
        .only("source", "event_id", "status", "received_at", "applied_at", "attempts", "last_error",
              "next_attempt_at", "ticket__external_id")
        .first()
    )
    if event is None:
        return error_json(404, "not_found", _("No event with this source and id is stored."))
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
