"""Only the customer's pages, the case pages (alerts link to them) and the admin (the app's own
routes, picked by name)."""

from django.contrib import admin
from django.urls import include, path

from surveys.urls import urlpatterns as app_urls

KEPT = {"survey", "unsubscribe", "brand_logo", "sample_survey", "sample_unsubscribe"}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(([p for p in app_urls if p.name in KEPT or p.name.startswith("case")], "surveys"))),
]
