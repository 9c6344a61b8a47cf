"""Survey and opt-out tokens never reach a log: Django's loggers and gunicorn's access log."""

import datetime
import io
import logging
import shlex
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from gunicorn.config import Config

from surveys_project.logmask import GunicornLogger, TokenMaskFilter, token_mask
from tests.factories import InvitationFactory

TOKEN = "Zq3xY7pL0aBcDeFgHiJkLmNoPqRsTuVw"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"GET /s/{TOKEN}/?lang=en HTTP/1.1", "GET /s/[token]/?lang=en HTTP/1.1"),
        (f"POST /u/{TOKEN}/ HTTP/1.1", "POST /u/[token]/ HTTP/1.1"),
        (f"https://surveys.example.com/s/{TOKEN}/", "https://surveys.example.com/s/[token]/"),
        (f"Not Found: /s/{TOKEN}", "Not Found: /s/[token]"),
        ("GET /static/surveys/survey.js HTTP/1.1", "GET /static/surveys/survey.js HTTP/1.1"),
        ("GET /admin/surveys/invitation/ HTTP/1.1", "GET /admin/surveys/invitation/ HTTP/1.1"),
    ],
)
def test_token_mask(text, masked):
    assert token_mask(text) == masked


def test_the_console_handler_masks_every_record():
    handler_filters = settings.LOGGING["handlers"]["console"]["filters"]
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Gone: %s", (f"/s/{TOKEN}/",), None)

    TokenMaskFilter().filter(record)

    assert handler_filters == ["mask_tokens"]
    assert record.getMessage() == "Gone: /s/[token]/"
    # Django's request and runserver loggers write through that handler only.
    assert settings.LOGGING["loggers"]["django"]["handlers"] == ["console"]
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


@pytest.mark.django_db
def test_a_survey_request_leaves_no_token_in_djangos_request_log(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "l"}}
    invitation = InvitationFactory(status="expired")
    (handler,) = [  # the configured console handler
        h for h in logging.getLogger("django").handlers if any(isinstance(f, TokenMaskFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        response = client.get(reverse("surveys:survey", args=[invitation.token]))
    finally:
        handler.setStream(previous)

    assert response.status_code == 410  # logged by django.request as a warning
    assert "/s/[token]/" in stream.getvalue()
    assert invitation.token not in stream.getvalue()


def procfile_access_format() -> str:
    web = next(line for line in (settings.BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return shlex.split(web)[shlex.split(web).index("--access-logformat") + 1]


def test_gunicorn_access_lines_mask_path_query_and_referer():
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", procfile_access_format() + " %({referer}i)s %({location}o)s")
    logger = GunicornLogger(config)
    lines = []
    capture = logging.Handler()
    capture.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.addHandler(capture)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/{TOKEN}/?lang=en",
        "PATH_INFO": f"/s/{TOKEN}/",
        "QUERY_STRING": "lang=en",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://surveys.example.com/u/{TOKEN}/",
        "HTTP_USER_AGENT": "test",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://surveys.example.com/u/{TOKEN}/")])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("Location", f"/s/{TOKEN}/?lang=en")])

    logger.access(response, request, environ, datetime.timedelta(milliseconds=5))

    (line,) = lines
    assert TOKEN not in line
    assert '"GET /s/[token]/?lang=en HTTP/1.1" 200' in line
    assert '"https://surveys.example.com/u/[token]/"' in line


def test_the_procfile_starts_gunicorn_with_the_masking_logger():
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))

    assert "--logger-class surveys_project.logmask.GunicornLogger" in web
    assert "--access-logformat" in web
