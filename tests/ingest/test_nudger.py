"""The nudger thread: nudges folded together, and none left behind (surveys/tasks/nudger.py)."""

import multiprocessing
import threading
from unittest import mock

import pytest
from django.core.cache import cache

from surveys.tasks.ingest import NUDGE_KEY, NUDGER, ticket_events_apply
from surveys.tasks.nudger import Nudger

from .helpers import event, post_event


class Ledger:
    """Stands for the stored events: each "commit" is counted before its want(); each call
    notes how many commits it covers (all those made before it started)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.committed = 0
        self.covered: list[int] = []

    def commit_and_want(self, nudger, interval):
        with self.lock:
            self.committed += 1
        nudger.want(interval)

    def call(self):
        with self.lock:
            self.covered.append(self.committed)


def test_a_burst_from_many_threads_is_covered_by_few_calls_the_last_after_the_last_commit():
    ledger = Ledger()
    nudger = Nudger(ledger.call, name="test-nudger")

    def burst():
        for _ in range(300):
            ledger.commit_and_want(nudger, 0.02)

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert nudger.settle(5)

    # Every commit was followed by a call that started after it: the last call saw them all.
    assert ledger.covered[-1] == ledger.committed == 1200
    # Folded: far fewer calls than commits (one per interval at most, plus the first).
    assert len(ledger.covered) < 1200 / 4


def test_a_want_during_a_call_gets_a_call_of_its_own():
    entered, release = threading.Event(), threading.Event()
    calls = []

    def call():
        calls.append(len(calls))
        entered.set()
        release.wait(5)

    nudger = Nudger(call, name="test-nudger")
    nudger.want(0.001)
    assert entered.wait(5)
    nudger.want(0.001)  # while the first call runs: its flag was lowered before it started
    release.set()
    assert nudger.settle(5)
    assert calls == [0, 1]


def test_a_failing_call_does_not_stop_the_thread():
    calls = []

    def call():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("redis went away")

    nudger = Nudger(call, name="test-nudger")
    nudger.want(0.001)
    assert nudger.settle(5)
    nudger.want(0.001)
    assert nudger.settle(5)
    assert len(calls) == 2


def _child_wants(nudger, answers):
    nudger.want(0.001)
    answers.put(nudger.settle(5))


def test_a_forked_child_starts_a_thread_of_its_own():
    nudger = Nudger(lambda: None, name="test-nudger")
    nudger.want(0.001)  # the parent's thread exists before the fork
    assert nudger.settle(5)
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_child_wants, args=(nudger, answers))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert answers.get(timeout=1) is True  # the child's want() ran, in the child's own thread


@pytest.mark.django_db
def test_the_webhook_leaves_its_nudge_to_the_thread_and_a_burst_nudges_once(client, settings, django_capture_on_commit_callbacks):
    settings.TICKET_EVENTS_NUDGE_SECONDS = 0.05
    cache.delete(NUDGE_KEY)
    callers = []
    with mock.patch.object(
        ticket_events_apply, "apply_async", autospec=True,
        side_effect=lambda *a, **k: callers.append(threading.current_thread().name),
    ):
        for n in range(5):
            with django_capture_on_commit_callbacks(execute=True):  # each request's commit
                assert post_event(client, event(event_id=f"fold-{n}"), apply=False).status_code == 202
        assert NUDGER.settle(5)
    # Enqueued once, by the nudger thread: the requests never waited on Redis.
    assert callers == ["ticket-events-nudger"]
    assert cache.get(NUDGE_KEY) is not None  # pending until the task starts
    cache.delete(NUDGE_KEY)
