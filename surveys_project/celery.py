"""The Celery application.

Every Celery setting lives in ``settings.py`` under the ``CELERY_`` prefix, so the worker,
beat and the web process read one configuration.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")

app = Celery("surveys_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
