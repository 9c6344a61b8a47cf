"""Only the survey page and the admin: these tests need no other area's URLs to import."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(("surveys.urls_survey", "surveys"))),
]
