"""The product's URLs plus django-helpdesk's under /helpdesk/ (settings_helpdesk.py)."""

from django.urls import include, path

from .urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("helpdesk/", include("helpdesk.urls")),
    *product_urlpatterns,
]
