"""Celery tasks: thin interfaces that take ids and call services, one module per concern.

Celery's autodiscovery imports ``surveys.tasks``; importing the modules here registers them.
"""

from . import sending  # noqa: F401 - registers the sending tasks (issue 3)
from .alerts import alert_deliver, alerts_evaluate  # noqa: F401 - registers the alert rule tasks (issue 16)
from .digests import reports_send_weekly_digest  # noqa: F401 - registers the weekly digest (issue 5)
from .health import worker_heartbeat
from .ingest import ticket_events_apply  # noqa: F401 - registers the ticket event workers (issue 12)
from .notifications import (  # noqa: F401 - registers the survey alerts and their sweeps (issues 4, 10, 16)
    one_click_alerts_sweep,
    response_alert,
    responses_sweep_alerts,
)
from .outbound import outbound_deliver, outbound_sweep  # noqa: F401 - registers outbound events (issue 17)
from .privacy import personal_data_retention  # noqa: F401 - registers nightly retention (issue 11)
from .reports import reports_refresh_rollups  # noqa: F401 - registers the rollup tasks (issue 5)
from .score_clicks import score_clicks_settle  # noqa: F401 - registers the click settle (issue 10)

__all__ = ["worker_heartbeat"]
