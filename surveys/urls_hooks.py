"""URLs of this area (see surveys/urls.py): helpdesks' own webhooks in."""

from django.urls import path

from .integrations import views

urlpatterns = [
    path("hooks/<slug:kind>/<str:token>/", views.helpdesk_hook, name="helpdesk_hook"),
]
