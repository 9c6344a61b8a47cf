"""A real Celery worker, in this process, consuming from the real Redis broker.

Tests using it need ``django_db(transaction=True)``: the worker thread has its own database
connection and must see committed rows.
"""

import time
from contextlib import contextmanager

import pytest


@contextmanager
def worker_thread(app):
    """Celery's own test worker in a thread of this process (solo pool), whose database
    connections are closed as its thread ends. Left open, they were closed only when the
    garbage collector freed them ("deleted while still open"), and one still open when the test
    database was dropped held it ("being accessed by other users")."""
    from celery.contrib.testing.worker import TestWorkController, start_worker
    from django.db import connections

    class ClosingWorkController(TestWorkController):
        def start(self):  # the worker thread's whole life
            try:
                super().start()
            finally:
                connections.close_all()  # this thread's connections

    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, WorkController=ClosingWorkController
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker_real(settings):
    from surveys_project.celery import app

    app.control.purge()
    with worker_thread(app) as worker:
        yield worker


class PrivateRedis:
    """A redis-server of this test's own on a free loopback port, which the test may stop and
    start again (same port, no persistence). Stopped by the pid in its pidfile."""

    def __init__(self, directory):
        from tests.sending.smtp_sink import free_port

        self.directory = directory
        self.port = free_port()
        self.pidfile = directory / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess

        import redis

        subprocess.run(
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize", "yes",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
                "--pidfile", str(self.pidfile), "--logfile", str(self.directory / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        import os
        import signal

        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)


@pytest.fixture
def private_redis(tmp_path):
    import shutil

    from tests.conftest import REQUIRE_SERVICES

    if shutil.which("redis-server") is None:
        reason = "needs redis-server (apt-get install redis-server)"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _drop_connections(app):
    # Forget, not close: kombu keeps one pool per broker URL and hands it back later.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(app, broker_url, monkeypatch):
    """Point the Celery app (publishers in this process) at another broker for the block."""
    real = app.conf.broker_url
    _drop_connections(app)
    # Celery reads a CELERY_BROKER_URL environment variable before app.conf (as .ci/run sets).
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    app.conf.broker_url = broker_url
    try:
        yield
    finally:
        _drop_connections(app)
        monkeypatch.undo()
        app.conf.broker_url = real
