"""The app's URLs, one module per area so each stays small."""

from django.urls import include, path

from .views import health, home

app_name = "surveys"

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("", include("surveys.urls_ingest")),  # webhook: /api/ticket-events/
    path("", include("surveys.urls_optout")),  # /u/<token>/
    path("", include("surveys.urls_survey")),  # /s/<token>/
    path("", include("surveys.urls_reports")),  # /reports/, /api/metrics/…
    path("", include("surveys.urls_privacy")),  # /api/customers/erase/
    path("", include("surveys.urls_cases")),  # /cases/
    path("", include("surveys.urls_hooks")),  # /hooks/<helpdesk>/<token>/
]
