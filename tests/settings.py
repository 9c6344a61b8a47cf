"""Test settings: the shipped "product + django-helpdesk" settings (settings_helpdesk.py), so the
integration is tested against the real package as `HELPDESK=1` runs it. The product's own
URLconf stays the default; the integration's tests select surveys_project.urls_helpdesk."""

from surveys_project.settings_helpdesk import *  # noqa: F403

ROOT_URLCONF = "surveys_project.urls"

# A streaming replica (REPORTS_DATABASE_URL, set by .ci/run) is for the integration test that
# runs the product against it in a process of its own; the suite itself reads the primary, where
# each test's uncommitted rows are.
DATABASES.pop("reports", None)  # noqa: F405
