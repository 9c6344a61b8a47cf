"""Celery tasks: thin interfaces that take ids and call services, one module per concern.

Celery's autodiscovery imports ``surveys.tasks``; importing the modules here registers them.
"""

from . import sending  # noqa: F401 - registers the sending tasks (issue 3)
from .digests import reports_send_weekly_digest  # noqa: F401 - registers the weekly digest (issue 5)
from .health import worker_heartbeat
from .notifications import response_alert  # noqa: F401 - registers the survey alert (issue 4)
from .privacy import personal_data_retention  # noqa: F401 - registers nightly retention (issue 11)
from .reports import reports_refresh_rollups  # noqa: F401 - registers the rollup tasks (issue 5)

__all__ = ["worker_heartbeat"]
