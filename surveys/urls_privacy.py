"""URLs of this area (see surveys/urls.py): erasure for helpdesk automations."""

from django.urls import path

from .api.customers import customers_erase_view

urlpatterns = [
    path("api/customers/erase/", customers_erase_view, name="api_customers_erase"),
]
