"""Development settings cannot leak into a deployment: the development webhook secret works
only from this machine, and every process started with DEBUG on says so once."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from surveys import devmode
from tests.ingest.helpers import URL, event, signed_headers

ROOT = Path(django_settings.BASE_DIR)
LINE = "DEBUG is on in this process"


def post(client, *, secret, **meta):
    body = json.dumps(event()).encode()
    return client.post(URL, data=body, content_type="application/json", **signed_headers(body, secret=secret), **meta)


@pytest.fixture
def dev_secret(settings):
    settings.WEBHOOK_SECRET = settings.DEV_WEBHOOK_SECRET
    return settings.DEV_WEBHOOK_SECRET


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_the_development_secret_works_from_loopback(client, dev_secret, address):
    assert post(client, secret=dev_secret, REMOTE_ADDR=address).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "192.0.2.10"},
        {"REMOTE_ADDR": "10.1.2.3"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.10"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=192.0.2.10"},
        {"REMOTE_ADDR": ""},
    ],
)
def test_the_development_secret_is_refused_from_anywhere_else(client, dev_secret, meta):
    from surveys.models import TicketEvent

    response = post(client, secret=dev_secret, **meta)

    assert response.status_code == 401
    assert "only from this machine" in response.json()["message"]
    assert not TicketEvent.objects.exists()


@pytest.mark.django_db
def test_a_real_secret_works_from_anywhere(client, settings):
    settings.WEBHOOK_SECRET = "a-real-production-secret-0123456789"

    assert post(client, secret=settings.WEBHOOK_SECRET, REMOTE_ADDR="192.0.2.10").status_code == 202


def test_debug_is_announced_once_per_process(settings, monkeypatch, caplog):
    settings.DEBUG = True
    monkeypatch.setattr(devmode, "_announced_in", None)

    with caplog.at_level("WARNING", logger="surveys.devmode"):
        first, second = devmode.debug_announce(), devmode.debug_announce()

    assert (first, second) == (True, False)
    assert [r.name for r in caplog.records] == ["surveys.devmode"]
    assert LINE in caplog.records[0].getMessage()


def test_nothing_is_announced_without_debug(settings, monkeypatch, caplog):
    settings.DEBUG = False
    monkeypatch.setattr(devmode, "_announced_in", None)

    assert devmode.debug_announce() is False
    assert LINE not in caplog.text


# --- Real processes ------------------------------------------------------------------------
def _env(tmp_path, debug: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(VAR_DIR=str(tmp_path), DEBUG="1" if debug else "0", DJANGO_SETTINGS_MODULE="surveys_project.settings")
    if not debug:
        env.update(SECRET_KEY="x" * 50, SECURE_SSL_REDIRECT="0")
    return env


def _output_until(command, env, marker: str, timeout: float = 60) -> str:
    """Start ``command``, read its output until ``marker`` appears, then stop it."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    deadline = time.monotonic() + timeout
    try:
        for line in process.stdout:
            lines.append(line)
            if marker in line or time.monotonic() > deadline:
                break
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = "".join(lines)
    assert marker in output, output
    return output


WEB = [sys.executable, "-c", "from surveys_project.wsgi import application; print('web loaded', flush=True)"]
CELERY = [sys.executable, "-m", "celery", "-A", "surveys_project"]
PROCESSES = {
    "web": (WEB, "web loaded"),
    "worker": ([*CELERY, "worker", "--pool", "solo", "--loglevel", "INFO"], "ready."),
    "beat": ([*CELERY, "beat", "--loglevel", "INFO"], "beat: Starting"),
}


@pytest.mark.parametrize("kind", PROCESSES)
def test_each_process_started_with_debug_logs_one_line(tmp_path, kind):
    command, marker = PROCESSES[kind]
    if kind == "beat":
        command = [*command, "--schedule", str(tmp_path / "schedule")]

    output = _output_until(command, _env(tmp_path, debug=True), marker)

    assert output.count(LINE) == 1, output


@pytest.mark.parametrize("kind", ["web", "beat"])
def test_a_process_without_debug_logs_no_such_line(tmp_path, kind):
    command, marker = PROCESSES[kind]
    if kind == "beat":
        command = [*command, "--schedule", str(tmp_path / "schedule")]

    output = _output_until(command, _env(tmp_path, debug=False), marker)

    assert LINE not in output
