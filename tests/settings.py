"""Test settings: the shipped "product + django-helpdesk" settings (settings_helpdesk.py), so the
integration is tested against the real package as `HELPDESK=1` runs it. The product's own
URLconf stays the default; the integration's tests select surveys_project.urls_helpdesk."""

from surveys_project.settings_helpdesk import *  # noqa: F403

ROOT_URLCONF = "surveys_project.urls"

# A streaming replica (REPORTS_DATABASE_URL, set by .ci/run) is for the integration test that
# runs the product against it in a process of its own; the suite itself reads the primary, where
# each test's uncommitted rows are.
DATABASES.pop("reports", None)  # noqa: F405

# The suite's nudges run in the request that stores an event (in the on-commit callbacks the
# tests execute), so no nudger thread publishes after a test has ended. The thread itself is
# tested with its interval set (tests/ingest/test_nudger.py, tests/integration/test_ingest_worker.py).
TICKET_EVENTS_NUDGE_SECONDS = 0
