import smtplib

from celery import shared_task

from ..services.notifications import one_click_alerts_enqueue, response_alert_send

# Worth another try later; anything else (a bad address, a bug) is not.
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


@shared_task(
    name="surveys.tasks.response_alert",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def response_alert(response_id: int, one_click: bool = False) -> None:
    """Tell the campaign's recipients about a detractor or complaint (idempotent)."""
    response_alert_send(response_id=response_id, one_click=one_click)


@shared_task(name="surveys.tasks.one_click_alerts_sweep", soft_time_limit=60, time_limit=90)
def one_click_alerts_sweep() -> None:
    """Beat: enqueue the alerts of detractors and complaints that only one-clicked."""
    one_click_alerts_enqueue()
