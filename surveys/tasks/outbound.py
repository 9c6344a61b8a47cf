"""Outbound event deliveries: one task per delivery, and the sweep that re-enqueues lost or
far-off ones (services/outbound_delivery.py)."""

from celery import shared_task
from django.conf import settings

from ..services.outbound_delivery import outbound_delivery_send, outbound_due_ids


@shared_task(name="surveys.tasks.outbound_deliver", bind=True, soft_time_limit=60, time_limit=90)
def outbound_deliver(self, delivery_id: int) -> None:
    """Try one delivery once (idempotent: a row not due, settled or held by another worker is
    left alone). A transient failure due again soon is re-enqueued with a countdown; a later
    one is left to the sweep, as is everything when the broker cannot take the message."""
    outcome = outbound_delivery_send(delivery_id=delivery_id)
    if (
        outcome is None
        or outcome.retry_in is None
        or outcome.retry_in > settings.OUTBOUND_COUNTDOWN_MAX_SECONDS
    ):
        return
    # One second late rather than early: a message run before the row is due claims nothing.
    self.apply_async((delivery_id,), countdown=outcome.retry_in + 1)


@shared_task(name="surveys.tasks.outbound_sweep", soft_time_limit=60, time_limit=90)
def outbound_sweep() -> int:
    """Beat, every minute: enqueue open deliveries that are due and were not sent (a lost
    message, a retry too far off for a countdown, a worker that died mid-send)."""
    ids = outbound_due_ids()
    for pk in ids:
        outbound_deliver.delay(pk)
    return len(ids)
