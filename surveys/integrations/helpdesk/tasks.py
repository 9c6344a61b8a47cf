"""Beat task of the django-helpdesk integration (schedule it as docs/integrations.md shows)."""

from celery import shared_task
from django.conf import settings


@shared_task(name="surveys.integrations.helpdesk.reconcile", acks_late=True)
def helpdesk_reconcile() -> int:
    """Record ticket events the post_save hook missed. Safe to run twice (idempotent ids)."""
    from .reconcile import helpdesk_tickets_reconcile

    return helpdesk_tickets_reconcile(hours=getattr(settings, "HELPDESK_RECONCILE_HOURS", 48))
