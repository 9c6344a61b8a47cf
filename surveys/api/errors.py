"""The refusals every metrics endpoint can answer, described once for the OpenAPI schema, and
the per-user request rate behind its 429."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.throttling import UserRateThrottle


class MetricsRateThrottle(UserRateThrottle):
    """Per user (or per client address before login): generous for dashboards and scripts,
    low enough that a runaway loop cannot tie up the report database."""

    scope = "metrics"
    rate = "1200/minute"


_bad_request = inline_serializer(
    "BadRequest",
    fields={
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Each refused parameter with its messages.",
        ),
        "error": serializers.CharField(required=False, help_text="A code, for a malformed address."),
        "message": serializers.CharField(required=False),
    },
)
_detail = inline_serializer("Detail", fields={"detail": serializers.CharField()})

ERROR_RESPONSES = {
    400: OpenApiResponse(_bad_request, description="A parameter is missing, malformed or out of bounds."),
    401: OpenApiResponse(_detail, description="No credentials, or an invalid or revoked token."),
    403: OpenApiResponse(_detail, description="The user may not read reports."),
    429: OpenApiResponse(_detail, description="More than 1,200 requests a minute; see Retry-After."),
}
