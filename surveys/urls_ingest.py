"""URLs of this area (see surveys/urls.py): ticket events in."""

from django.urls import path

from .views import webhooks

urlpatterns = [
    path("api/ticket-events/", webhooks.ticket_events, name="ticket_events"),
]
