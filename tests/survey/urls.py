"""Only the survey page, the case pages (alerts link to them) and the admin: these tests need
no other area's URLs to import."""

from django.contrib import admin
from django.urls import include, path

from surveys import urls_cases, urls_survey

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include((urls_survey.urlpatterns + urls_cases.urlpatterns, "surveys"))),
]
