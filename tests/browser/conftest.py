"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live_server.

Never `playwright install`: the browser is the system Chromium (tests.conftest.CHROMIUM).
"""

import os
import threading

import pytest
from django.core.signals import request_finished, request_started

from tests.conftest import CHROMIUM

# Requests the live server is still handling, by thread (the test client's run in the main
# thread and finish before it returns). A test may close its page while a request it started
# (a score saved in the background, say) is still running in the server; that request's
# transaction and the teardown's TRUNCATE then wait on each other's locks.
_serving: set[int] = set()
_served = threading.Condition()


def _request_started(**kwargs):
    if threading.current_thread() is not threading.main_thread():
        with _served:
            _serving.add(threading.get_ident())


def _request_finished(**kwargs):
    with _served:
        _serving.discard(threading.get_ident())
        _served.notify_all()


request_started.connect(_request_started, dispatch_uid="browser-tests-request-started")
request_finished.connect(_request_finished, dispatch_uid="browser-tests-request-finished")


@pytest.fixture(autouse=True)
def live_server_requests_done(request):
    """Before a live-server test's tables are emptied, wait for the requests it left running.

    Set up after the test database (so torn down before it) and before the test's browser
    context (so torn down after it: nothing new can start while waiting).
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    with _served:
        finished = _served.wait_for(lambda: not _serving, timeout=30)
    assert finished, "the live server was still handling a request 30 s after the test ended"


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright():
    """Let the ORM run while Playwright's event loop is alive in this thread.

    Playwright's sync API leaves an asyncio loop marked as running in the main thread from its
    start to the end of the session, and Django refuses ORM calls (including the test database
    setup) while one runs. Set before Playwright starts, kept for as long as it lives, and put
    back at the end: a subprocess started after a browser test inherits it.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# Every frame reports what the Content-Security-Policy refused as a console error; init
# scripts are the test driver's own and run whatever the page's policy says.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} refused ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(autouse=True)
def csp_violations(monkeypatch):
    """Fails the test if any page it opened reported a Content-Security-Policy violation."""
    from playwright.sync_api import Browser

    found: list[str] = []
    original = Browser.new_context

    def watch(message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "CSP violation" in text):
            found.append(text)

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        context.add_init_script(CSP_REPORTER)
        context.on("console", watch)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield found
    assert found == [], "the Content-Security-Policy refused something:\n" + "\n".join(found)
