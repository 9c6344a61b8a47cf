"""The app's URLs, one list grouped by who calls them (the Delighted-compatible API has its own
module, surveys/delighted/urls.py, mounted at /delighted/v1/ by the project)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from .api import followups as api_followups
from .api import views as api
from .api.customers import customers_erase_view
from .integrations import views as hooks
from .views import (
    brand,
    cases,
    health,
    home,
    my_scores,
    optout,
    public,
    records,
    reports,
    sample_survey,
    webhooks,
)

app_name = "surveys"

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # --- Customers: the survey (the token is the only key), opting out, the brand's logo ----
    path("s/<str:token>/", public.survey, name="survey"),
    path("u/<str:token>/", optout.unsubscribe, name="unsubscribe"),
    re_path(r"^brand/logo/(?P<digest>[0-9a-f]{16})\.(?P<ext>png|jpg)$", brand.logo, name="brand_logo"),
    # The test survey and unsubscribe page behind the admin's "Send me a test" email.
    path("s/test/<str:signed>/", sample_survey.sample_survey, name="sample_survey"),
    path("u/test/<str:signed>/", sample_survey.sample_unsubscribe, name="sample_unsubscribe"),
    # --- Ticket events in: our signed webhook, and each helpdesk's own -------------------------
    path("api/ticket-events/", webhooks.ticket_events, name="ticket_events"),
    # Read back where a stored event stands (event ids may hold a slash: the path converter).
    path(
        "api/ticket-events/<str:source>/<path:event_id>/",
        webhooks.ticket_event_state,
        name="ticket_event_state",
    ),
    path("hooks/<slug:kind>/<str:token>/", hooks.helpdesk_hook, name="helpdesk_hook"),
    path("api/customers/erase/", customers_erase_view, name="api_customers_erase"),
    # --- Reports: the dashboard, My scores, the summary, record pages, exports, metrics API ----
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
    # --- Follow-up cases (docs/follow-ups.md) ---------------------------------------------------
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:pk>/notes/", cases.case_notes, name="case_notes"),
    path("cases/<int:pk>/contact/", cases.case_contact, name="case_contact"),
    path("cases/<int:pk>/email/", cases.case_email, name="case_email"),
    path("cases/<int:pk>/close/", cases.case_close, name="case_close"),
    path("cases/<int:pk>/reopen/", cases.case_reopen, name="case_reopen"),
]
