from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class HelpdeskIntegrationConfig(AppConfig):
    name = "surveys.integrations.helpdesk"
    label = "surveys_helpdesk"
    verbose_name = _("django-helpdesk integration")

    def ready(self) -> None:
        if not apps.is_installed("helpdesk"):
            raise ImproperlyConfigured(
                "surveys.integrations.helpdesk needs django-helpdesk: add 'helpdesk' to INSTALLED_APPS "
                "(pip install django-helpdesk), or remove the integration."
            )
        from . import signals

        signals.connect()
