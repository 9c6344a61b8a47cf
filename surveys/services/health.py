"""Liveness of the moving parts, for /healthz and for the people running the product."""

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "surveys:worker-heartbeat"


def heartbeat_record() -> None:
    """Record that a Celery worker ran a task just now (kept a day in the shared cache)."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=24 * 3600)


def health_status() -> dict:
    """The database answers; when a worker was last seen (None = never, or over a day ago)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:  # any failure means "not healthy"; the detail goes to the log
        database_ok = False
    return {"database": database_ok, "worker_last_seen": cache.get(HEARTBEAT_KEY)}
