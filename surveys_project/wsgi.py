"""WSGI entry point for gunicorn: ``gunicorn surveys_project.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from surveys_project.settings_select import settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())

application = get_wsgi_application()
