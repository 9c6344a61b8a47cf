"""Metrics API: the follow-up figures (docs/metrics.md, "Follow-up cases")."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..reports.filters import FilterError
from ..reports.followups import followup_figures
from ..reports.snapshot import report_transaction
from .errors import ERROR_RESPONSES
from .serializers import PeriodSerializer
from .views import FILTER_PARAMETERS, _bad, _filters, _period, report_api_view


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="null below the minimum sample")
    n = serializers.IntegerField()
    shown = serializers.BooleanField()


class CountedFigureSerializer(FigureSerializer):
    count = serializers.IntegerField()


class FollowUpFiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    min_sample = serializers.IntegerField()
    followed_up = CountedFigureSerializer(
        help_text="% of detractors and complaints contacted; count = contacted"
    )
    first_contact_median_s = FigureSerializer(help_text="median seconds from case opened to first contact")
    overdue = CountedFigureSerializer(help_text="% of open cases past their due time; count = overdue cases")
    recovery_change = FigureSerializer(help_text="mean re-survey NPS score minus the first (0–10 points)")
    recovered = CountedFigureSerializer(help_text="% of re-surveyed cases no longer detractors (score ≥ 7)")


@extend_schema(
    parameters=FILTER_PARAMETERS,
    responses={200: FollowUpFiguresSerializer, **ERROR_RESPONSES},
    operation_id="metrics_followups",
)
@report_api_view
def metrics_followups(request):
    """How the period's detractors and complaints were followed up: share contacted, median
    time to first contact, overdue cases and recovery after the re-survey."""
    try:
        filters = _filters(request)
    except FilterError as exc:
        return _bad(exc.errors)
    with report_transaction():
        figures = followup_figures(filters, now=timezone.now())
    figures["min_sample"] = settings.REPORT_MIN_SAMPLE
    return Response({"period": _period(filters), **figures})
