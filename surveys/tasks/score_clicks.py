"""One-click scores: beat counts those whose provisional window has passed."""

from celery import shared_task


@shared_task(
    name="surveys.tasks.score_clicks_settle",
    ignore_result=True,
    # Idempotent (only provisional clicks past their window are touched, each email under
    # its row lock), so a lost worker's run may simply run again.
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
)
def score_clicks_settle() -> None:
    """Turn settled one-click scores into partial responses (services/score_clicks.py)."""
    from ..services.score_clicks import score_clicks_settle as settle

    settle()
