"""Sending tasks: thin interfaces over surveys.services.sending.

Every task takes ids (or nothing), calls one service and is safe to run twice: the service
claims rows with a conditional UPDATE, so a duplicate message or an overlapping sweep does
nothing. Due work lives in the database (``send_after``); beat sweeps it, so a lost message
or a broker outage delays an email by at most a sweep interval and never loses it.

A send message also sends a batch of other due invitations, so messages are hints, not one
per email: the due sweep enqueues one per batch, and a message whose invitation a batch has
already sent costs one query.
"""

import logging

from amqp.exceptions import ChannelError
from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from ..services import sending, sending_sweeps
from .publish import LeanPublisher, LeanPublishUnsupported

logger = logging.getLogger(__name__)


def invitation_send_publish(invitation_id: int, *, countdown: float | None = None) -> bool:
    """Hand the invitation to a worker now. Never raises: when the broker is unreachable the
    row stays due in the database and the sweep sends it. Publishing gives up quickly (the
    publish retry policy and broker timeouts in settings), so a webhook call is not held up by
    a dead Redis. Returns whether the message was published."""
    try:
        if countdown is None and _lean.usable():
            try:
                _lean.publish((invitation_id,))
                return True
            except LeanPublishUnsupported:
                pass
        invitation_send.apply_async((invitation_id,), countdown=countdown)
    except Exception as exc:  # any broker failure (kombu wraps most; sockets may not)
        logger.warning("Invitation %s not enqueued (%s); the due sweep will send it.", invitation_id, exc)
        return False
    return True


# Ingest publishes one message per invitation, through this shortcut (surveys/tasks/publish.py).
_lean = LeanPublisher(current_app, "surveys.tasks.invitation_send")


def invitation_send_enqueue(invitation_id: int) -> None:
    """Enqueue the send once the current transaction commits; a down broker is tolerated."""
    transaction.on_commit(lambda: invitation_send_publish(invitation_id), robust=True)


@shared_task(name="surveys.tasks.invitation_send", acks_late=True, reject_on_worker_lost=True)
def invitation_send(invitation_id: int) -> str:
    """Send one due invitation (or reminder) once, with a batch of other due invitations.

    Ingest enqueues this on commit. A message whose invitation another batch has already sent
    costs one small query.
    """
    result = sending.invitation_send(
        invitation_id=invitation_id, batch_size=settings.INVITATION_SEND_BATCH_SIZE
    )
    # A short backoff is worth a message; a long one is left to the due sweep, because Redis
    # re-delivers unacknowledged (countdown) messages after its visibility timeout.
    for retry_id, retry_in in result.retries.items():
        if retry_in <= settings.INVITATION_RETRY_ENQUEUE_MAX_SECONDS:
            invitation_send_publish(retry_id, countdown=retry_in)
    return result.outcome


def _broker_backlog() -> int | None:
    """Messages waiting in the default queue, or None when the broker cannot tell."""
    try:
        with current_app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(
                queue=current_app.conf.task_default_queue, passive=True
            )
            return declared.message_count
    except ChannelError:
        return 0  # Redis drops an empty queue's key: no queue, nothing waiting
    except (OperationalError, OSError, NotImplementedError):
        return None


def _backlogged(sweep: str) -> bool:
    # The sweeps recover lost messages. While workers are still behind on a long queue nothing
    # is lost yet, and re-enqueueing every due row each minute would only pile up duplicates.
    backlog = _broker_backlog()
    if backlog is not None and backlog > settings.INVITATION_SWEEP_MAX_BACKLOG:
        logger.info("%s skipped: %s messages still queued", sweep, backlog)
        return True
    return False


def _publish_batch(sweep: str, select_ids, *, every: int = 1) -> int:
    """Enqueue one batch of ids chosen by ``select_ids`` unless the queue is already long;
    with ``every`` above 1, one message for each ``every`` ids, since each send claims a batch
    of that many. Returns how many ids were chosen."""
    if _backlogged(sweep):
        return 0
    ids = select_ids(limit=settings.INVITATION_SWEEP_BATCH)
    for invitation_id in ids[::every]:
        invitation_send_publish(invitation_id)
    return len(ids)


@shared_task(name="surveys.tasks.invitations_sweep_due")
def invitations_sweep_due() -> int:
    """Beat, every minute: enqueue the scheduled invitations whose send_after has passed, one
    message per send batch, unless the workers are still behind on a long queue. Whatever a
    batch leaves (out of time, rows taken by others) the next run enqueues again."""
    return _publish_batch("due sweep", sending_sweeps.invitations_due_ids, every=settings.INVITATION_SEND_BATCH_SIZE)


@shared_task(name="surveys.tasks.invitations_sweep_stuck")
def invitations_sweep_stuck() -> int:
    """Beat: return invitations stuck in `sending` past the lease to `scheduled`."""
    return sending_sweeps.invitations_release_stuck()


@shared_task(name="surveys.tasks.invitations_send_reminders")
def invitations_send_reminders() -> int:
    """Beat: enqueue the invitations whose next reminder is due (the send task claims them)."""
    return _publish_batch("reminder sweep", sending_sweeps.invitations_reminder_due_ids)


@shared_task(name="surveys.tasks.invitations_expire")
def invitations_expire() -> int:
    """Beat: set `expired` on invitations whose link has expired."""
    return sending_sweeps.invitations_expire()
