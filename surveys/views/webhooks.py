"""The ticket events webhook (docs/api.md): parse, verify, hand to the service, answer."""

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..devmode import dev_secret_refused
from ..ingest.schema import PayloadInvalid
from ..ingest.signing import SignatureInvalid, signature_verify
from ..services.tickets import ticket_event_record

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


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
        body = request.body
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
    except SignatureInvalid as exc:
        return _error(401, "unauthorized", str(exc.message))
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid_json", _("The body is not valid JSON."))
    try:
        result = ticket_event_record(payload=payload)
    except PayloadInvalid as exc:
        return _error(400, "invalid_payload", _("Some fields are invalid."), errors=exc.errors)
    except DatabaseError:
        logger.exception("Ticket event not stored")
        response = _error(503, "unavailable", _("The event could not be stored; retry later."))
        response["Retry-After"] = "30"
        return response
    answer = {"event_id": result.event.event_id, "source": result.event.source}
    if not result.created:
        return JsonResponse({"status": "duplicate", **answer}, status=200)
    answer["applied"] = result.applied
    answer["invitations"] = len(result.invitations)
    return JsonResponse({"status": "stored", **answer}, status=202)
