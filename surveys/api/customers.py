"""``POST /api/customers/erase/``: erasure of a customer's personal data, for helpdesk automations."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes, renderer_classes
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..services.customers import customers_erase
from .auth import ApiTokenAuthentication


class CanEraseCustomers(BasePermission):
    """Only holders of ``surveys.erase_customer`` (no role has it; grant it to the automation's
    user, or use a superuser's token)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("surveys.erase_customer"))


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from JSON's \ud800 escapes
        raise serializers.ValidationError(_("Not valid text.")) from exc
    return value


class CustomerEraseSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, validators=[_encodable])
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        validators=[_encodable],
        help_text="The customer's id in the helpdesk",
    )

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("external_id"):
            raise serializers.ValidationError(_("Give an email or an external_id."))
        return attrs


class CustomerEraseResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Customers with this email or external id")
    erased = serializers.IntegerField(help_text="Of which erased by this call")


class ErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


@extend_schema(
    request=CustomerEraseSerializer,
    responses={
        200: CustomerEraseResultSerializer,
        400: OpenApiResponse(ErrorSerializer, description="Neither field given, or one is invalid"),
        401: OpenApiResponse(description="No or an invalid token"),
        403: OpenApiResponse(description="The user lacks the surveys.erase_customer permission"),
    },
    examples=[OpenApiExample("By email", value={"email": "wang.fang@example.cn"}, request_only=True)],
    operation_id="customers_erase",
)
@api_view(["POST"])
# Set on the view, not in REST_FRAMEWORK's defaults, which would bind other DRF apps too.
# Token first: its WWW-Authenticate header turns a refusal into 401, not 403.
@authentication_classes([ApiTokenAuthentication, SessionAuthentication])
@permission_classes([CanEraseCustomers])
@renderer_classes([JSONRenderer])
def customers_erase_view(request):
    """Erase the personal data of every customer with this email (any case) or helpdesk id.

    Counts and scores stay; docs/privacy.md lists what is removed. Idempotent: a repeat
    answers 200 with ``matched`` 0.
    """
    serializer = CustomerEraseSerializer(data=request.data)
    if not serializer.is_valid():
        return Response({"errors": serializer.errors}, status=400)
    result = customers_erase(
        email=serializer.validated_data.get("email", ""),
        external_id=serializer.validated_data.get("external_id", "").strip(),
    )
    return Response({"matched": result.matched, "erased": result.erased})
