"""/delighted/v1/…: each route with and without ``.json``, as Delighted's clients call both."""

from django.urls import path, re_path

from . import views

app_name = "delighted"


def _both(route: str, view, name: str):
    return [path(f"{route}.json", view, name=name), path(route, view)]


urlpatterns = [
    *_both("people", views.people, "people"),
    *_both("survey_responses", views.survey_responses, "survey_responses"),
    *_both("metrics", views.metrics, "metrics"),
    *_both("unsubscribes", views.unsubscribes, "unsubscribes"),
    *_both("bounces", views.bounces, "bounces"),
    re_path(
        r"^people/(?P<email>[^/]+@[^/]+)/survey_requests/pending(?:\.json)?$",
        views.survey_requests_pending,
        name="survey_requests_pending",
    ),
    path("people/<path:identifier>", views.person, name="person"),
]
