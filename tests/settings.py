"""Test settings: the project's own, plus django-helpdesk (with the contrib apps it needs) so
the integration is tested against the real package. Nothing else differs from production."""

from surveys_project.settings import *  # noqa: F403
from surveys_project.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sites",
    "django.contrib.humanize",
    "helpdesk",
    "surveys.integrations.helpdesk",
]
SITE_ID = 1
# django-helpdesk's optional teams need the pinax-teams package; the integration does not.
HELPDESK_TEAMS_MODE_ENABLED = False
