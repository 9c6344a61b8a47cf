"""Every page a customer can reach, and nothing else: the survey, the unsubscribe page and the
brand's logo (the app's own routes, picked by name)."""

from django.urls import include, path

from surveys.urls import urlpatterns as app_urls

CUSTOMER = {"survey", "unsubscribe", "brand_logo", "sample_survey", "sample_unsubscribe"}

urlpatterns = [
    path("", include(([p for p in app_urls if p.name in CUSTOMER], "surveys"))),
]
