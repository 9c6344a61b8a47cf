
from celery import shared_task

from ..reports.digest import digest_send_weekly
from ..transient import RETRY_ON


@shared_task(
    name="surveys.tasks.reports_send_weekly_digest",
    autoretry_for=RETRY_ON,  # surveys/transient.py
    retry_backoff=60,
    retry_backoff_max=1800,
    max_retries=5,
    soft_time_limit=120,
    time_limit=180,
)
def reports_send_weekly_digest() -> None:
    """Beat runs this weekly: last week's figures to managers (once per week, see the service)."""
    digest_send_weekly()
