"""Liveness of the moving parts, for /healthz and for the people running the product.

The database is the source of truth: without it nothing works (``down``). Redis (the cache)
and the broker only help: without them answers are still stored and due work waits in the
database for the sweeps, so the site is ``degraded``, not down (README, "Reliability").
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "surveys:worker-heartbeat"


class PartState(enum.StrEnum):
    OK = "ok"
    DOWN = "down"
    LATE = "late"  # the worker: seen, but not within HEALTH_WORKER_MAX_AGE_SECONDS
    UNKNOWN = "unknown"  # the worker: never seen, or the cache that remembers it is down


class Status(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


def heartbeat_record() -> None:
    """Record that a Celery worker ran a task just now (kept a day in the shared cache;
    lost, not raised, while the cache is down)."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=24 * 3600)


def _database_state() -> PartState:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means "not healthy"; the detail goes to the log
        logger.exception("health: the database did not answer")
        return PartState.DOWN
    return PartState.OK


def _cache_state() -> tuple[PartState, str | None]:
    """The cache's state and the heartbeat it holds (None while it is down)."""
    ping = getattr(cache, "ping", None)
    try:
        if ping is not None:
            ping()  # our Redis backend: ask Redis itself, not the fail-open cache API
        return PartState.OK, cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # the file cache on a full disk, Redis refusing…
        logger.warning("health: the cache did not answer: %s", exc)
        return PartState.DOWN, None


def _broker_state() -> PartState:
    from celery import current_app

    try:
        with current_app.connection_for_read() as conn:
            # One try, no retry loop: a dead broker fails within its connect timeout.
            conn.ensure_connection(max_retries=0)
    except Exception as exc:  # kombu's OperationalError, socket errors
        logger.warning("health: the broker did not answer: %s", exc)
        return PartState.DOWN
    return PartState.OK


def _worker_state(last_seen: str | None, cache_state: PartState, now: datetime) -> PartState:
    if cache_state != PartState.OK or not last_seen:
        return PartState.UNKNOWN
    try:
        age = (now - datetime.fromisoformat(last_seen)).total_seconds()
    except (TypeError, ValueError):
        return PartState.UNKNOWN
    return PartState.OK if age <= settings.HEALTH_WORKER_MAX_AGE_SECONDS else PartState.LATE


def health_status(*, now: datetime | None = None) -> dict:
    """Each part's state and the site's overall status.

    ``status`` is ``down`` when the database does not answer, ``degraded`` when the cache or
    the broker does not, or no worker was seen lately, else ``ok``. ``worker_last_seen`` is
    the last heartbeat (ISO 8601; None = never, over a day ago, or the cache is down).
    """
    now = now or timezone.now()
    database = _database_state()
    cache_state, last_seen = _cache_state()
    broker = _broker_state()
    worker = _worker_state(last_seen, cache_state, now)
    if database != PartState.OK:
        status = Status.DOWN
    elif PartState.DOWN in (cache_state, broker) or worker != PartState.OK:
        status = Status.DEGRADED
    else:
        status = Status.OK
    return {
        "status": status.value,
        "parts": {
            "database": database.value,
            "cache": cache_state.value,
            "broker": broker.value,
            "worker": worker.value,
        },
        "worker_last_seen": last_seen,
    }
