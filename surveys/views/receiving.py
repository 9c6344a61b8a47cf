"""What every receiver of events from outside shares (our signed webhook, the helpdesks' own
hooks): the JSON error answer, a body read within its limit, JSON parsing, and the answer to a
database error — a clear 4xx for a value the database refuses (the same body fails the same way
every time), a 503 with Retry-After only when it is worth retrying (surveys/transient.py)."""

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from ..transient import db_error_is_transient

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


class Refused(Exception):
    """The request cannot be taken; ``answer`` is the JSON error to send."""

    def __init__(self, answer: JsonResponse):
        super().__init__(answer.status_code)
        self.answer = answer


def error_json(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _too_large() -> Refused:
    return Refused(error_json(413, "too_large", _("The body is larger than 256 KiB.")))


def body_read(request) -> bytes:
    """The raw body, refused (413) past MAX_BODY_BYTES, declared or not.

    Django reads CONTENT_LENGTH bytes, and a chunked request has none, so its body read as
    empty (and its signature failed). The WSGI server de-chunks such a body and says so with
    ``wsgi.input_terminated`` (gunicorn does); then the input is read to its end here, one byte
    past the limit at most so an endless body cannot fill the memory.
    """
    meta = request.META
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_large()
    try:
        if meta.get("CONTENT_LENGTH") or not meta.get("wsgi.input_terminated"):
            body = request.body
        else:
            stream, chunks, size = meta["wsgi.input"], [], 0
            while size <= MAX_BODY_BYTES:
                chunk = stream.read(MAX_BODY_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            body = b"".join(chunks)
    except RequestDataTooBig as exc:  # no Content-Length (chunked) and past Django's own limit
        raise _too_large() from exc
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    return body


def json_read(body: bytes):
    try:
        return json.loads(body)
    except RecursionError as exc:  # nested past the decoder's own limit; shallower: the schema
        raise Refused(error_json(400, "invalid_json", _("The body is nested too deeply."))) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(error_json(400, "invalid_json", _("The body is not valid JSON."))) from exc


def database_refused(exc: DatabaseError) -> JsonResponse:
    """The answer to a database error while storing an event."""
    if not db_error_is_transient(exc):
        # The same body fails the same way every time: never ask the sender to retry it.
        logger.exception("Event refused by the database")
        return error_json(400, "unstorable", _("The database refused a value of this event."))
    logger.warning("Event not stored (transient database error): %s", exc)
    answer = error_json(503, "unavailable", _("The event could not be stored; retry later."))
    answer["Retry-After"] = "30"
    return answer
