"""Reports read through a real streaming replica (surveys/replica.py).

.ci/run starts a private PostgreSQL and a streaming replica of it and sets
``REPORTS_DATABASE_URL``. The product runs in a process of its own with that setting (the
suite's settings leave the replica out). While the replica's replay is paused, rows committed on
the primary are invisible to it: the dashboard, the metrics API and the export still show the
old figures, so they were read on the replica, and the freshness line gives its lag. Once
replay resumes, the new rows show and the lag is 0.
"""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from tests.conftest import REQUIRE_SERVICES
from tests.reports.helpers import response, ticket

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@cache
def missing_replica() -> str | None:
    url = os.environ.get("REPORTS_DATABASE_URL", "")
    if not url:
        return "needs a streaming replica: set REPORTS_DATABASE_URL (.ci/run starts one)"
    try:
        with psycopg.connect(_with_database(url, "postgres"), connect_timeout=2) as replica:
            if not replica.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                return f"REPORTS_DATABASE_URL ({url}) is not a replica (pg_is_in_recovery() is false)"
            theirs = replica.execute("SELECT system_identifier FROM pg_control_system()").fetchone()[0]
    except psycopg.Error as exc:
        return f"needs a streaming replica: REPORTS_DATABASE_URL did not answer ({exc})"
    with connection.cursor() as cursor:
        cursor.execute("SELECT system_identifier FROM pg_control_system()")
        if cursor.fetchone()[0] != theirs:
            return "REPORTS_DATABASE_URL is not a replica of DATABASE_URL's server"
    return None


@pytest.fixture
def replica(db):
    reason = missing_replica()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)
    name = connection.settings_dict["NAME"]
    with psycopg.connect(_with_database(os.environ["REPORTS_DATABASE_URL"], name), autocommit=True) as conn:
        yield conn
        conn.execute("SELECT pg_wal_replay_resume()")


def _caught_up(replica, expected: int) -> None:
    for _ in range(200):
        if replica.execute("SELECT count(*) FROM surveys_response").fetchone()[0] == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica never showed {expected} responses")


def _probe(start, end) -> dict:
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": _with_database(os.environ["DATABASE_URL"], name),
        "REPORTS_DATABASE_URL": _with_database(os.environ["REPORTS_DATABASE_URL"], name),
        "DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.replica_probe", start.isoformat(), end.isoformat()],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_reports_read_the_replica_and_show_its_lag(replica, settings):
    # A superuser reads every figure, as a manager does, with no group permissions to set up.
    get_user_model().objects.create_superuser("manager", "manager@example.com", "pw")
    now = timezone.now()
    closed = now - timedelta(hours=3)
    for score in (10, 9, 9, 7, 3, 10):
        response(ticket(closed), closed, nps=score)
    _caught_up(replica, 6)
    start, end = (now - timedelta(days=2)).date(), (now + timedelta(days=2)).date()

    replica.execute("SELECT pg_wal_replay_pause()")
    for score in (0, 1, 2, 3):
        response(ticket(closed), closed, nps=score)
    time.sleep(1.2)  # the paused replica falls at least a second behind

    paused = _probe(start, end)
    assert paused["status"] == [200, 200, 200]
    assert paused["replica_queries"] > 0
    # The four new responses are on the primary only: every figure was read on the replica.
    assert (paused["tile_n"], paused["api_n"], paused["export_rows"]) == (6, 6, 6)
    assert paused["lag"] and int(paused["lag"]) >= 1

    replica.execute("SELECT pg_wal_replay_resume()")
    _caught_up(replica, 10)
    resumed = _probe(start, end)
    assert (resumed["tile_n"], resumed["api_n"], resumed["export_rows"]) == (10, 10, 10)
    assert resumed["lag"] == "0"
