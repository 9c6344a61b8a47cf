"""HELPDESK=1 runs the product and django-helpdesk in one project: manage.py, the Celery app
(worker and beat) and WSGI all pick the shipped settings_helpdesk.py."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from helpdesk.models import Queue

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *, helpdesk: bool) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "HELPDESK")}
    if helpdesk:
        environ["HELPDESK"] = "1"
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("helpdesk", [True, False])
def test_manage_py_celery_and_wsgi_agree_on_the_settings(helpdesk):
    code = (
        "import os, surveys_project.celery as c; from django.conf import settings; "
        "c.app.loader.import_default_modules(); "
        "print(os.environ['DJANGO_SETTINGS_MODULE'], settings.ROOT_URLCONF, "
        "'helpdesk-reconcile' in c.app.conf.beat_schedule)"
    )
    expected = (
        "surveys_project.settings_helpdesk surveys_project.urls_helpdesk True"
        if helpdesk
        else "surveys_project.settings surveys_project.urls False"
    )
    assert _python(code, helpdesk=helpdesk) == expected
    wsgi = "import os, surveys_project.wsgi; print(os.environ['DJANGO_SETTINGS_MODULE'])"
    assert _python(wsgi, helpdesk=helpdesk) == expected.split()[0]


def test_manage_py_knows_the_sweep_command_with_the_switch():
    code = (
        "import sys; sys.argv = ['manage.py', 'help', 'helpdesk_reconcile']; "
        "import runpy; runpy.run_path('manage.py', run_name='__main__')"
    )
    assert "--hours" in _python(code, helpdesk=True)


@pytest.mark.django_db
def test_demo_queue_and_plain_staff_login(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("helpdesk_demo", stdout=out)
    call_command("helpdesk_demo", stdout=out)  # a second run changes nothing
    assert list(Queue.objects.values_list("slug", flat=True)) == ["support"]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="helpdesk")
    assert (user.is_staff, user.is_superuser, user.groups.count(), user.check_password("helpdesk")) == (
        True, False, 0, True)


@pytest.mark.django_db
def test_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("helpdesk_demo")
