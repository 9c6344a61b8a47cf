"""Which settings module a process starts with, when DJANGO_SETTINGS_MODULE is not set: the
product's own, or with HELPDESK=1 the product and django-helpdesk in one project. manage.py,
the Celery app (worker and beat) and WSGI all ask here, so the three processes agree."""

import os

PRODUCT = "surveys_project.settings"
WITH_HELPDESK = "surveys_project.settings_helpdesk"


def settings_module() -> str:
    return WITH_HELPDESK if os.environ.get("HELPDESK", "").strip() == "1" else PRODUCT
