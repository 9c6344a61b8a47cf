"""Integrations with ticket systems: their own webhooks (base.py, one module per helpdesk,
views.py) and django-helpdesk running in the same Django project (helpdesk/)."""
