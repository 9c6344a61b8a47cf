"""Signal handlers (connected in SurveysConfig.ready): Celery's, and the user model's."""

from celery.signals import worker_ready
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver


@worker_ready.connect
def record_worker_start(**kwargs) -> None:
    # /healthz shows a worker as soon as one starts, not only after beat's first minute.
    from .services.health import heartbeat_record

    heartbeat_record()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def link_agent_by_email(sender, instance, raw=False, **kwargs) -> None:
    # Every save, not only creation: an administrator often fills in the email afterwards.
    # Fixture loading (raw) stores rows as they are.
    if raw:
        return
    from .services.agent_logins import agent_user_match_by_email

    agent_user_match_by_email(user=instance)
