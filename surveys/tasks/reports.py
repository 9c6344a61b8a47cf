"""Report rollups: beat keeps them current (surveys/reports/rollups_write.py)."""

from celery import shared_task


@shared_task(
    name="surveys.tasks.reports_refresh_rollups",
    ignore_result=True,
    # Idempotent (a day is recomputed whole), so a lost worker's run may simply run again;
    # a failed run is not retried: the next beat tick does the same work.
    acks_late=True,
    soft_time_limit=540,
    time_limit=600,
)
def reports_refresh_rollups() -> None:
    """Recompute the rollup days whose source rows changed since the last run."""
    from ..reports.rollups_write import rollups_refresh

    rollups_refresh()


@shared_task(
    name="surveys.tasks.reports_rebuild_rollups",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=1740,
    time_limit=1800,
)
def reports_rebuild_rollups() -> None:
    """Nightly: recompute every rollup day, which also picks up what no ``updated_at`` shows
    (deleted rows, a customer's new segment)."""
    from ..reports.rollups_write import rollups_refresh

    rollups_refresh(full=True, lease_seconds=3600)
