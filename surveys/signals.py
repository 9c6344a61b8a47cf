"""Celery signal handlers (connected in SurveysConfig.ready)."""

from celery.signals import worker_ready


@worker_ready.connect
def record_worker_start(**kwargs) -> None:
    # /healthz shows a worker as soon as one starts, not only after beat's first minute.
    from .services.health import heartbeat_record

    heartbeat_record()
