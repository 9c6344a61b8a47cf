"""URLs of this area (see surveys/urls.py)."""

from django.urls import path

from .views import optout

urlpatterns = [
    path("u/<str:token>/", optout.unsubscribe, name="unsubscribe"),
]
