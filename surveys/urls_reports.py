"""URLs of this area (see surveys/urls.py): the dashboard, summary, exports and metrics API."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .api import followups as api_followups
from .api import views as api
from .views import my_scores, records, reports

urlpatterns = [
    path("reports/", reports.dashboard, name="reports"),
    path("my-scores/", my_scores.my_scores, name="my_scores"),
    path("reports/summary/", reports.summary_report, name="reports_summary"),
    path("reports/responses/<int:pk>/", records.response_detail, name="report_response"),
    path("reports/tickets/<int:pk>/", records.ticket_detail, name="report_ticket"),
    path("reports/export/<slug:kind>.<slug:fmt>", reports.export, name="reports_export"),
    path("api/metrics/summary/", api.metrics_summary, name="api_metrics_summary"),
    path("api/metrics/trend/", api.metrics_trend, name="api_metrics_trend"),
    path("api/metrics/breakdown/", api.metrics_breakdown, name="api_metrics_breakdown"),
    path("api/metrics/followups/", api_followups.metrics_followups, name="api_metrics_followups"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]
