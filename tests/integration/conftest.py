"""A real Celery worker, in this process, consuming from the real Redis broker.

Tests using it need ``django_db(transaction=True)``: the worker thread has its own database
connection and must see committed rows.
"""

import pytest


@pytest.fixture
def celery_worker_real(settings):
    from celery.contrib.testing.worker import start_worker

    from surveys_project.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
