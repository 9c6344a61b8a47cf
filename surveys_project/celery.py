"""The Celery application.

Every Celery setting lives in ``settings.py`` under the ``CELERY_`` prefix, so the worker,
beat and the web process read one configuration.
"""

import os
import time

from celery import Celery
from celery.signals import task_prerun
from django.db import connections

from .settings_select import settings_module

# HELPDESK=1 runs worker and beat with django-helpdesk too (settings_select.py).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())

app = Celery("surveys_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(dispatch_uid="surveys_project.celery.database_check")
def _database_check(**kwargs) -> None:
    # With CELERY_DB_REUSE_MAX a worker keeps its database connection from task to task (see
    # settings). Drop it when it broke or outlived CONN_MAX_AGE, as Django does between two
    # requests, but without Django's health-check query before every task: a connection that
    # died quietly fails one task (its rows stay due for the sweep) and is then replaced.
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        expired = connection.close_at is not None and time.monotonic() >= connection.close_at
        if connection.errors_occurred or expired:
            connection.close_if_unusable_or_obsolete()
