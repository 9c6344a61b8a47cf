"""The project's URLs plus django-helpdesk's, for tests that drive its real views."""

from django.urls import include, path

urlpatterns = [
    path("helpdesk/", include("helpdesk.urls")),
    path("", include("surveys_project.urls")),
]
