"""URLs of this area (see surveys/urls.py): the customer's survey page."""

from django.urls import path

from .views import public

urlpatterns = [
    path("s/<str:token>/", public.survey, name="survey"),
]
