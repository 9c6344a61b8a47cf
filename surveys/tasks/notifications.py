import logging
import time

from celery import shared_task
from django.conf import settings

from ..services.notifications import one_click_alert_due_ids, response_alert_send, responses_alert_due_ids
from ..transient import RETRY_ON

logger = logging.getLogger(__name__)



@shared_task(
    name="surveys.tasks.response_alert",
    autoretry_for=RETRY_ON,  # surveys/transient.py
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def response_alert(response_id: int, one_click: bool = False) -> None:
    """Tell the campaign's recipients about a detractor or complaint (idempotent)."""
    response_alert_send(response_id=response_id, one_click=one_click)


# After a failed publish the survey page stops trying for this long: a blackholed broker costs
# a connect timeout per try, and the alert sweeps send what was skipped.
PUBLISH_PAUSE_SECONDS = 30.0
_paused_until = 0.0


def response_alert_publish(response_id: int, *, one_click: bool = False) -> bool:
    """Hand the alert to a worker now. Never raises: the customer's answer is already committed,
    and when the broker is unreachable the alert sweeps enqueue it later. A failed publish gives
    up quickly (the publish retry policy and broker timeouts in settings) and pauses publishing
    in this process for PUBLISH_PAUSE_SECONDS, so one customer at most waits on a dead broker.
    Returns whether the message was published."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        if one_click:
            response_alert.delay(response_id, one_click=True)
        else:
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


@shared_task(name="surveys.tasks.one_click_alerts_sweep", soft_time_limit=60, time_limit=90)
def one_click_alerts_sweep() -> int:
    """Beat, every minute: enqueue the alerts of detractors and complaints that only
    one-clicked and whose click has settled. The send claims each, so a response enqueued by
    two runs alerts once. Returns how many were enqueued."""
    ids = one_click_alert_due_ids(limit=settings.ALERT_SWEEP_BATCH)
    for response_id in ids:
        response_alert_publish(response_id, one_click=True)
    return len(ids)
