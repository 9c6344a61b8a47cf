"""Refuse a NUL character in the path or query string before anything reads it.

PostgreSQL's text type cannot hold NUL: psycopg raises ValueError (a 500) for any lookup with
one, and every view and admin list filter would each need its own check. One middleware,
first in MIDDLEWARE, answers 400 instead, before sessions, users or views touch the database.
"""

from django.http import HttpResponseBadRequest, JsonResponse

MESSAGE = "The address contains a NUL character (%00), which is never valid here."


def _has_nul(request) -> bool:
    if "\x00" in request.path_info or "\x00" in request.path:
        return True
    raw = request.META.get("QUERY_STRING", "")
    # Read raw, before any view parses it: "%00" is the only way to write NUL there, in a key
    # or a value alike.
    return "%00" in raw or "\x00" in raw


class NulRefusedMiddleware:
    """400 for any request whose path or query string holds NUL (%00), the admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"error": "invalid_request", "message": MESSAGE, "errors": {"url": [MESSAGE]}}, status=400
                )
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
