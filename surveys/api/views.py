"""Metrics API: the dashboard's numbers as JSON, with the dashboard's filters."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import api_view
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..replica import reads_reports
from ..reports.access import report_agent_scope
from ..reports.catalogue import METRICS
from ..reports.effects import action_effects
from ..reports.figures import BUCKETS, DIMENSIONS, breakdown, comparison_api, summary_compared, trend
from ..reports.filters import FilterError, ReportFilters, filters_parse, site_today
from ..reports.nonresponse import non_response
from ..reports.sections import improvement_actions
from ..reports.set_aside import scanner_clicks_set_aside
from ..reports.snapshot import report_transaction
from .auth import ApiTokenAuthentication
from .errors import ERROR_RESPONSES, MetricsRateThrottle
from .permissions import CanReadReports
from .serializers import BreakdownSerializer, SummarySerializer, TrendSerializer

FILTER_PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First day (default: 30 days before end); 2000-01-01 to 2100-01-01"
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="First day NOT included (default: tomorrow); 2000-01-01 to 2100-01-01"
    ),
    OpenApiParameter("campaign", OpenApiTypes.INT),
    OpenApiParameter("team", OpenApiTypes.INT),
    OpenApiParameter("agent", OpenApiTypes.INT, description="Ignored for agents: they read only their own"),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=["low", "normal", "high", "urgent"]),
    OpenApiParameter("channel", OpenApiTypes.STR),
    OpenApiParameter("segment", OpenApiTypes.STR),
]


def report_api_view(view):
    """A GET-only API view of the reports. Authentication, permission and renderer are set here,
    on the view, not in the project's REST_FRAMEWORK defaults: those would also apply to every
    other DRF app in the project (django-helpdesk's ticket list among them)."""
    # Token first: its WWW-Authenticate header turns a refusal into 401, not 403.
    view.authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    view.permission_classes = [CanReadReports]
    view.renderer_classes = [JSONRenderer]
    view.throttle_classes = [MetricsRateThrottle]
    return api_view(["GET"])(reads_reports(view))


def _filters(request) -> ReportFilters:
    return filters_parse(request.query_params, agent_id=report_agent_scope(request.user))


def _bad(errors: dict) -> Response:
    return Response({"errors": errors}, status=400)


def _period(filters: ReportFilters) -> dict:
    return {"start": filters.start, "end": filters.end}


def _side_api(side: dict | None) -> dict | None:
    if side is None:
        return None
    return {"start": side["start"], "end": side["end"], "value": side["value"], "n": side["n"]}


def effect_api(row: dict) -> dict:
    """One improvement action with its measured effect, raw numbers (docs/api.md)."""
    action = row["action"]
    return {
        "id": action.pk,
        "title": action.title,
        "goal": action.goal,
        "measures": action.measures,
        "metric": action.metric or None,
        "scope": {
            "campaign": action.campaign_id,
            "team": action.team_id,
            "category": action.category,
            "channel": action.channel,
        },
        "owner": action.owner.get_username() if action.owner else None,
        "started_on": action.started_on,
        "due_on": action.due_on,
        "status": action.status,
        "overdue": row["overdue"],
        "target": row["target"],
        "effect": None
        if not row["measured"]
        else {
            "days": row["days"],
            "before": _side_api(row["before"]),
            "after": _side_api(row["after"]),
            "change": row["change"],
            "significant": row["significant"],
            "too_few_to_compare": row["too_few"],
        },
    }


def _choice(request, name: str, allowed, default=None):
    value = request.query_params.get(name, default)
    if value not in allowed:
        raise FilterError({name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]})
    return value


@extend_schema(
    parameters=FILTER_PARAMETERS,
    responses={200: SummarySerializer, **ERROR_RESPONSES},
    operation_id="metrics_summary",
)
@report_api_view
def metrics_summary(request):
    """Every headline figure for the period and filters, and each against the previous period
    and its target (``comparison``: no change below the minimum sample on either side); the
    period's improvement actions with their measured effect (``improvement_actions``)."""
    try:
        filters = _filters(request)
    except FilterError as exc:
        return _bad(exc.errors)
    with report_transaction():
        data, compared = summary_compared(filters)
        data["comparison"] = comparison_api(compared, filters)
        data["non_response"] = non_response(filters)
        data["set_aside_scanner"] = {"n": scanner_clicks_set_aside(filters)}
        effects = action_effects(
            improvement_actions(filters), today=site_today(), measure=report_agent_scope(request.user) is None
        )
        data["improvement_actions"] = [effect_api(row) for row in effects]
    # The API keeps to the documented shape; the dashboard also shows these two.
    data.pop("responses", None)
    data["ces"].pop("easy", None)
    return Response(data)


@extend_schema(
    parameters=[
        *FILTER_PARAMETERS,
        OpenApiParameter("metric", OpenApiTypes.STR, required=True, enum=list(METRICS)),
        OpenApiParameter("bucket", OpenApiTypes.STR, enum=list(BUCKETS), description="Default week"),
    ],
    responses={200: TrendSerializer, **ERROR_RESPONSES},
    operation_id="metrics_trend",
)
@report_api_view
def metrics_trend(request):
    """One metric per day, week or month, with n per bucket."""
    try:
        filters = _filters(request)
        metric = _choice(request, "metric", list(METRICS))
        bucket = _choice(request, "bucket", list(BUCKETS), default="week")
    except FilterError as exc:
        return _bad(exc.errors)
    with report_transaction():
        points = trend(filters, metric, bucket)
    return Response(
        {
            "period": _period(filters),
            "metric": metric,
            "bucket": bucket,
            "min_sample": settings.REPORT_MIN_SAMPLE,
            "points": points,
        }
    )


@extend_schema(
    parameters=[
        *FILTER_PARAMETERS,
        OpenApiParameter("metric", OpenApiTypes.STR, required=True, enum=list(METRICS)),
        OpenApiParameter("by", OpenApiTypes.STR, required=True, enum=list(DIMENSIONS)),
    ],
    responses={200: BreakdownSerializer, **ERROR_RESPONSES},
    operation_id="metrics_breakdown",
)
@report_api_view
def metrics_breakdown(request):
    """One metric for each agent, team, category, priority, channel, segment or campaign."""
    try:
        filters = _filters(request)
        metric = _choice(request, "metric", list(METRICS))
        by = _choice(request, "by", list(DIMENSIONS))
    except FilterError as exc:
        return _bad(exc.errors)
    # Keys are strings whatever the dimension (ids, categories), as the schema says.
    with report_transaction():
        found = breakdown(filters, metric, by)
    rows = [
        {
            "key": None if row["key"] is None else str(row["key"]),
            "label": row["label"],
            "value": row["value"],
            "n": row["n"],
        }
        for row in found
    ]
    return Response(
        {
            "period": _period(filters),
            "metric": metric,
            "by": by,
            "min_sample": settings.REPORT_MIN_SAMPLE,
            "rows": rows,
        }
    )
