"""A process's nudges folded together: a call made for many events, at most once an interval.

The webhook's request stores an event and, after the commit, needs an apply task to be pending
(surveys/tasks/ingest.py). Checking that costs a Redis round trip; made in every request it was
a tenth of the webhook's time (docs/benchmarks.md). Here the request only raises a flag, and
one daemon thread per process makes the call for everything flagged since its last run, then
rests for the interval.

Why no event is left behind: a run lowers the flag *before* it calls. An event whose commit
raised the flag before that is covered by this call (the call sees to it that a task starts
after it, and that task claims every event committed by then). An event that raises the flag
after it is covered by the next run, at most one interval plus one call later. The thread holds
no data between runs, only the flag; if the process ends with the flag raised, the beat sweep
applies the event a few seconds later, as it does for any lost nudge.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# At exit, how long to wait for a run still due (a call that cannot finish is the sweep's).
EXIT_WAIT_S = 2.0


class Nudger:
    """Runs ``call`` in a thread of its own, once for all ``want()`` since its previous run,
    and at most once each ``interval`` seconds (the interval given by the latest ``want``)."""

    def __init__(self, call: Callable[[], None], *, name: str):
        self.call = call
        self.name = name
        self._reset()
        atexit.register(self.settle, EXIT_WAIT_S)
        # A forked child (a web or Celery worker) starts with no thread: it starts its own.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._wanted = threading.Event()
        self._state = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None
        self._interval = 0.0

    def want(self, interval: float) -> None:
        """Ask for a run that starts after now (never blocks on the call)."""
        self._interval = interval
        self._wanted.set()
        if self._thread is None:
            with self._state:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                    self._thread.start()

    def settle(self, timeout: float) -> bool:
        """Wait until every run asked for has finished; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._state:
            while self._wanted.is_set() or self._running:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None:
                    return False
                self._state.wait(min(left, 0.01))
        return True

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            with self._state:
                # Running is raised before the flag is lowered, so settle() never sees neither.
                self._running = True
                self._wanted.clear()
            try:
                self.call()
            except Exception:  # the thread must outlive a failed call; the sweep covers it
                logger.exception("%s: the call failed", self.name)
            finally:
                with self._state:
                    self._running = False
                    self._state.notify_all()
            time.sleep(self._interval)
