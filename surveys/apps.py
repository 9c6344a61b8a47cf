from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = _("Customer surveys")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the Celery signal handlers)
