from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = _("Customer surveys")

    def ready(self) -> None:
        from . import binary_arrays, signals  # noqa: F401  (connect the database, Celery and user signal handlers)
        from .devmode import debug_announce

        # ready() runs once in every process that sets Django up: web, worker, beat, commands.
        debug_announce()
