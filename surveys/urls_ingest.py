"""URLs of this area (see surveys/urls.py): ticket events in."""

from django.urls import path

from .views import webhooks

urlpatterns = [
    path("api/ticket-events/", webhooks.ticket_events, name="ticket_events"),
    # Read back where a stored event stands (event ids may hold a slash: the path converter).
    path(
        "api/ticket-events/<str:source>/<path:event_id>/",
        webhooks.ticket_event_state,
        name="ticket_event_state",
    ),
]
