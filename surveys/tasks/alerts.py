from celery import shared_task

from ..services.alert_delivery import DeliveryTransientError, alert_delivery_send
from ..services.alerts import ALERT_DELIVER_TASK, alert_rules_evaluate


@shared_task(name="surveys.tasks.alerts_evaluate", soft_time_limit=120, time_limit=180)
def alerts_evaluate() -> None:
    """Beat: evaluate every active alert rule."""
    alert_rules_evaluate()


@shared_task(
    name=ALERT_DELIVER_TASK,
    autoretry_for=(DeliveryTransientError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    # The service gives up after ALERT_DELIVERY_MAX_ATTEMPTS; this only bounds a misconfiguration.
    max_retries=50,
    soft_time_limit=60,
    time_limit=90,
)
def alert_deliver(delivery_id: int) -> None:
    """Send one copy of an alert (idempotent: a sent or failed delivery is left alone)."""
    alert_delivery_send(delivery_id=delivery_id)
