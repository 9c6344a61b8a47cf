import logging
import smtplib
import time

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


# After a failed publish the survey page stops trying for this long: a blackholed broker costs
# a connect timeout per try, and the alert sweep sends what was skipped.
PUBLISH_PAUSE_SECONDS = 30.0
_paused_until = 0.0


def response_alert_publish(response_id: int) -> bool:
    """Hand the alert to a worker now. Never raises: the customer's answer is already committed,
    and when the broker is unreachable the alert sweep enqueues it later. A failed publish gives
    up quickly (the publish retry policy and broker timeouts in settings) and pauses publishing
    in this process for PUBLISH_PAUSE_SECONDS, so one customer at most waits on a dead broker.
    Returns whether the message was published."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        response_alert.delay(response_id)
    except Exception as exc:  # any broker failure (kombu wraps most; sockets may not)
        _paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning(
            "Alert for response %s not enqueued (%s); the alert sweep will send it. "
            "Not publishing alerts for %.0fs.",
            response_id,
            exc,
            PUBLISH_PAUSE_SECONDS,
        )
        return False
    _paused_until = 0.0
    return True


@shared_task(name="surveys.tasks.responses_sweep_alerts", soft_time_limit=60, time_limit=90)
def responses_sweep_alerts() -> int:
    """Beat, every minute: enqueue the alerts of flagged responses that have none yet (their
    message was lost, or never published while the broker was down). Returns how many."""
    ids = responses_alert_due_ids(limit=settings.ALERT_SWEEP_BATCH)
    for response_id in ids:
        response_alert_publish(response_id)
    return len(ids)
