"""The product and django-helpdesk in one project (``HELPDESK=1 make run``; docs/integrations.md).

Everything of settings.py, plus django-helpdesk, the contrib apps it needs, its URLs and the
integration that turns its ticket changes into survey events, with the integration's sweep on
beat. An existing django-helpdesk project copies the lines below into its own settings."""

from .settings import *  # noqa: F403
from .settings import CELERY_BEAT_SCHEDULE, CONTENT_SECURITY_POLICY, INSTALLED_APPS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sites",  # django-helpdesk needs these two
    "django.contrib.humanize",
    "helpdesk",
    "surveys.integrations.helpdesk",
]
SITE_ID = 1
ROOT_URLCONF = "surveys_project.urls_helpdesk"

# django-helpdesk's optional teams need the pinax-teams package; the integration does not.
HELPDESK_TEAMS_MODE_ENABLED = False
# The `source` of the ticket events, and of our copies of its tickets.
HELPDESK_SOURCE = env.str("HELPDESK_SOURCE", default="django-helpdesk")
# Team of a ticket's agent, by queue slug; a queue not listed gives its title.
HELPDESK_QUEUE_TEAMS = env.dict("HELPDESK_QUEUE_TEAMS", default={})
# The sweep behind the hooks: how far back it compares, and how often it runs.
HELPDESK_RECONCILE_HOURS = env.int("HELPDESK_RECONCILE_HOURS", default=48)
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "helpdesk-reconcile": {"task": "surveys.integrations.helpdesk.reconcile", "schedule": 600.0},
}

# django-helpdesk's own pages rely on inline scripts and style attributes, which the product's
# Content-Security-Policy refuses; they keep working as django-helpdesk ships them, under their
# own prefix. Every page of the product keeps the policy (docs/deploy.md).
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/helpdesk/"]}
