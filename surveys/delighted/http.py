"""Delighted's way of speaking HTTP: Basic auth with the key as the user name, JSON answers,
``{"status", "message", "errors"}`` refusals, and request bodies as JSON or form fields."""

import base64
import binascii
import functools
import json
import logging
import re
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from ..api.auth import api_token_find
from ..transient import db_error_is_transient

logger = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    503: "Service Unavailable",
}


class Refused(Exception):
    """A request Delighted's API would refuse: answered ``{"status", "message", "errors"}``."""

    def __init__(self, status: int, errors: dict | None = None, message: str = ""):
        super().__init__(message or _MESSAGES.get(status, ""))
        self.status = status
        self.errors = errors
        self.message = message or _MESSAGES.get(status, "")


def invalid(field: str, message: str) -> Refused:
    """A 422 naming one parameter, as Delighted names refused attributes."""
    return Refused(422, {field: [message]})


def refusal(status: int, message: str = "", errors: dict | None = None) -> JsonResponse:
    body = {"status": status, "message": message or _MESSAGES.get(status, "")}
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Delighted-compatible API"'
    elif status == 503:
        response["Retry-After"] = "30"
    return response


def api_key(request) -> str | None:
    """The key from ``Authorization: Basic base64(key[:password])``; the official clients send
    the key alone, curl ``-u KEY:`` adds the colon. None when absent or malformed."""
    scheme, _sep, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip() or len(value) > 512:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key = decoded.split(":", 1)[0]
    return key if key and "\x00" not in key else None


def endpoint(**permissions: str) -> Callable:
    """Wrap a view: the HTTP method must be a key of ``permissions``, the key must be a live API
    token's and its user must hold that method's permission; ``Refused`` becomes its answer and
    a transient database error a 503 (retry) — never a 500 for a caller's mistake."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            method = "GET" if request.method == "HEAD" else request.method
            if method not in permissions:
                response = refusal(405)
                response["Allow"] = ", ".join(permissions)
                return response
            key = api_key(request)
            token = api_token_find(key) if key else None
            if token is None:
                return refusal(401, "Invalid API key.")
            permission = permissions[method]
            if not token.user.has_perm(permission):
                return refusal(403, f"The API token's user lacks the permission {permission}.")
            try:
                return view(request, *args, user=token.user, **kwargs)
            except Refused as refused:
                return refusal(refused.status, refused.message, refused.errors)
            except DatabaseError as exc:
                if not db_error_is_transient(exc):
                    raise
                logger.warning("Delighted API: transient database error (%s)", exc)
                return refusal(503, "Try again later.")

        return wrapped

    return decorate


_BRACKETS = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


def body_params(request) -> dict:
    """The request's parameters: a JSON object, or form fields with ``properties[key]=value``
    nested as Delighted's form encoding nests them. Refuses what is not one of the two."""
    try:
        too_big = len(request.body) > MAX_BODY
    except RequestDataTooBig:
        too_big = True
    if too_big:
        raise Refused(413, message="The body is over 256 KiB.")
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "application/json" or (not content_type and request.body.lstrip().startswith(b"{")):
        if not request.body.strip():
            return {}
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            raise Refused(400, {"body": ["is not valid JSON"]}) from exc
        if not isinstance(data, dict):
            raise Refused(400, {"body": ["must be a JSON object"]})
        return data
    try:
        form = QueryDict(request.body, encoding="utf-8")
    except Exception as exc:  # a malformed form body is the caller's mistake
        raise Refused(400, {"body": ["is not form-encoded"]}) from exc
    return nest(form)


def nest(params: QueryDict) -> dict:
    """``a=1&b[]=x&b[]=y&c[k]=v`` → ``{"a": "1", "b": ["x", "y"], "c": {"k": "v"}}``."""
    out: dict = {}
    for name, values in params.lists():
        match = _BRACKETS.match(name)
        if match is None:
            out[name] = values[-1]
        elif match.group(2) == "":
            out.setdefault(match.group(1), [])
            if isinstance(out[match.group(1)], list):
                out[match.group(1)].extend(values)
        else:
            nested = out.setdefault(match.group(1), {})
            if isinstance(nested, dict):
                nested[match.group(2)] = values[-1]
    return out
