from celery import shared_task

from ..services.health import heartbeat_record


@shared_task(name="surveys.tasks.worker_heartbeat")
def worker_heartbeat() -> None:
    """Beat runs this every minute; /healthz reports how long ago a worker last did."""
    heartbeat_record()
