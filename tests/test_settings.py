"""Settings come from the environment and refuse an unsafe production start."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.fresh_process import fresh_python

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "surveys.example.com",
    "SITE_URL": "https://surveys.example.com",
}
# Unset, the settings fall back to the embedded defaults (SQLite, the filesystem broker).
SERVICES = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}


def run(args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    base.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_when_https_is_switched_off():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout


def test_visibility_timeout_must_outlive_the_task_time_limit():
    result = run(["manage.py", "check"], DEBUG="1", CELERY_VISIBILITY_TIMEOUT="60", CELERY_TASK_TIME_LIMIT="300")
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must be longer" in result.stderr


def test_a_send_batch_must_end_inside_the_task_soft_time_limit():
    result = run(["manage.py", "check"], DEBUG="1", INVITATION_BATCH_SECONDS="230", EMAIL_TIMEOUT="20")
    assert result.returncode != 0
    assert "INVITATION_BATCH_SECONDS plus EMAIL_TIMEOUT must stay below" in result.stderr
    assert run(["manage.py", "check"], DEBUG="1", INVITATION_BATCH_SECONDS="200").returncode == 0


def test_embedded_default_uses_a_filesystem_broker_and_sqlite(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, s.DATABASES['default']['ENGINE'], "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])"
    )
    result = fresh_python(code, drop=SERVICES, VAR_DIR=str(tmp_path))
    broker, engine, folder = result.stdout.split()
    assert (broker, engine) == ("filesystem://localhost/", "django.db.backends.sqlite3")
    assert Path(folder).is_dir() and Path(folder).is_relative_to(tmp_path)


def _email_link(**env) -> str:
    """The survey link an email would carry, from settings built in a fresh process."""
    code = "import django; django.setup(); from surveys.emails import survey_url; print(survey_url('TOKEN'))"
    result = fresh_python(code, drop={"SITE_URL", "WEB_PORT"}, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_email_links_follow_web_port_when_site_url_is_not_set():
    assert _email_link(WEB_PORT="18000") == "http://localhost:18000/s/TOKEN/"
    assert _email_link() == "http://localhost:8000/s/TOKEN/"


def test_site_url_wins_over_web_port():
    assert _email_link(WEB_PORT="18000", SITE_URL="https://surveys.example.com/") == (
        "https://surveys.example.com/s/TOKEN/"
    )


def test_embedded_broker_connects_without_kombu_warnings(tmp_path):
    code = (
        "import django, logging; django.setup(); logging.basicConfig(); "
        "from surveys_project.celery import app; "
        "c = app.connection_for_write(); c.connect(); print(c.as_uri()); c.release()"
    )
    result = fresh_python(code, drop=SERVICES, VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("filesystem://")
    # The one warning a DEBUG process gives on purpose (surveys/devmode.py) is not kombu's.
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line and "surveys.devmode" not in line]
    assert "No hostname was supplied" not in result.stderr and warnings == []


def test_languages_are_english_and_simplified_chinese():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "zh-hans"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CELERY_TASK_ACKS_LATE", True),
        ("CELERY_TASK_REJECT_ON_WORKER_LOST", True),
        ("CELERY_TASK_IGNORE_RESULT", True),
        ("CELERY_WORKER_PREFETCH_MULTIPLIER", 1),
    ],
)
def test_celery_delivery_settings(name, value):
    assert getattr(settings, name) == value


def test_celery_app_reads_the_settings_and_time_limits_nest():
    from surveys_project.celery import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_soft_time_limit < conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]
    assert "worker-heartbeat" in conf.beat_schedule
