"""Test settings: the shipped "product + django-helpdesk" settings (settings_helpdesk.py), so the
integration is tested against the real package as `HELPDESK=1` runs it. The product's own
URLconf stays the default; the integration's tests select surveys_project.urls_helpdesk."""

from surveys_project.settings_helpdesk import *  # noqa: F403

ROOT_URLCONF = "surveys_project.urls"
