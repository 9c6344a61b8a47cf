"""Applying stored ticket events: a thin task over surveys.services.ticket_events.

The webhook stores an event and, after its commit, nudges: one apply task is enqueued unless
one is already pending (a cache key, so a burst of a thousand events enqueues a handful of
tasks, not a thousand). Each process folds the nudges of the events it stores within
TICKET_EVENTS_NUDGE_SECONDS into one cache round trip, made by its nudger thread
(surveys/tasks/nudger.py), so a request never waits on Redis. Beat runs the same task every few
seconds, so a lost nudge, a full broker or a Redis outage delays an event by one sweep and never
loses it.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from .nudger import Nudger

logger = logging.getLogger(__name__)

NUDGE_KEY = "ingest:apply-nudge"
# A nudge older than this is forgotten (its task was lost): the next event nudges again.
NUDGE_TTL_S = 30


def ticket_events_nudge_now() -> None:
    """Enqueue one apply task unless one is pending. Never raises: with Redis (cache or broker)
    down the beat sweep applies the events later."""
    try:
        if not cache.add(NUDGE_KEY, 1, timeout=NUDGE_TTL_S):
            return
        ticket_events_apply.apply_async()
    except Exception as exc:  # the cache's add raises when Redis is down; kombu's publish too
        logger.warning("Ticket events not nudged (%s); the beat sweep applies them.", exc)


NUDGER = Nudger(ticket_events_nudge_now, name="ticket-events-nudger")


def ticket_events_nudge() -> None:
    """After a stored event's commit: see that an apply task is pending, within
    TICKET_EVENTS_NUDGE_SECONDS (by this process's nudger thread), or at once when that is 0."""
    interval = settings.TICKET_EVENTS_NUDGE_SECONDS
    if interval > 0:
        NUDGER.want(interval)
    else:
        ticket_events_nudge_now()


@shared_task(
    name="surveys.tasks.ticket_events_apply",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
)
def ticket_events_apply() -> int:
    """Apply stored events, batch after batch, for at most TICKET_EVENTS_APPLY_SECONDS; then,
    if some are left, hand over to a fresh task. Idempotent: events are claimed in the database,
    so overlapping runs (two workers, a nudge beside the sweep) never apply one twice."""
    from ..services.ticket_events import events_apply_batch

    # Events stored from now on nudge again, so a second worker joins in during a burst.
    cache.delete(NUDGE_KEY)  # fails open (surveys/cache.py): the sweep covers a lost nudge
    deadline = time.monotonic() + settings.TICKET_EVENTS_APPLY_SECONDS
    total = 0
    while True:
        result = events_apply_batch(limit=settings.TICKET_EVENTS_BATCH_SIZE)
        total += result.claimed
        if not result.claimed:
            return total
        if time.monotonic() > deadline:
            # A fresh task of its own (not a nudge, which a pending one would absorb), so every
            # worker draining a backlog keeps going.
            try:
                ticket_events_apply.apply_async()
            except Exception as exc:  # the broker went away: the beat sweep carries on
                logger.warning("Ticket events apply not handed over (%s); the beat sweep applies them.", exc)
            return total
