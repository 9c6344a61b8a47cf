"""Every page a customer can reach, and nothing else: the survey and the unsubscribe page."""

from django.urls import include, path

from surveys import urls_optout, urls_survey

urlpatterns = [
    path("", include((urls_survey.urlpatterns + urls_optout.urlpatterns, "surveys"))),
]
