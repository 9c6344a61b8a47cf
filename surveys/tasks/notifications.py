import logging
import smtplib

from celery import shared_task
from django.conf import settings

from ..services.notifications import response_alert_send, responses_alert_due_ids

logger = logging.getLogger(__name__)

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
def response_alert(response_id: int) -> None:
    """Tell the campaign's recipients about a detractor or complaint (idempotent)."""
    response_alert_send(response_id=response_id)


def response_alert_publish(response_id: int) -> bool:
    """Hand the alert to a worker now. Never raises: the customer's answer is already committed,
    and when the broker is unreachable the alert sweep enqueues it later (publishing gives up
    quickly: the publish retry policy and broker timeouts in settings). Returns whether the
    message was published."""
    try:
        response_alert.delay(response_id)
    except Exception as exc:  # any broker failure (kombu wraps most; sockets may not)
        logger.warning("Alert for response %s not enqueued (%s); the alert sweep will send it.", response_id, exc)
        return False
    return True


@shared_task(name="surveys.tasks.responses_sweep_alerts", soft_time_limit=60, time_limit=90)
def responses_sweep_alerts() -> int:
    """Beat, every minute: enqueue the alerts of flagged responses that have none yet (their
    message was lost, or never published while the broker was down). Returns how many."""
    ids = responses_alert_due_ids(limit=settings.ALERT_SWEEP_BATCH)
    for response_id in ids:
        response_alert_publish(response_id)
    return len(ids)
