"""Signal handlers (connected in SurveysConfig.ready): Celery's, the user model's, and the
question's (the survey page's cached questions)."""

from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
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


@receiver(post_save, sender="surveys.Question")
@receiver(post_delete, sender="surveys.Question")
def forget_survey_questions(sender, instance, **kwargs) -> None:
    # The questionnaire's updated_at moves on as well (Question.save/delete), which is what
    # makes an entry stale; dropping it at once, and again when the change commits (a page
    # read in between may have stored the old questions), also covers a clock that did not
    # move (a frozen test clock).
    from .selectors import survey_questions_forget

    questionnaire_id = instance.questionnaire_id
    survey_questions_forget(questionnaire_id)
    transaction.on_commit(lambda: survey_questions_forget(questionnaire_id))
