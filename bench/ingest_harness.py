"""The ingest benchmarks' harness: a fresh database with the bench campaign, gunicorn, Celery
workers and wrk around it, and the signed event lines wrk posts (bench_ingest.py runs the modes)."""

import hashlib
import hmac
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from shared import (  # noqa: E402 - the same tickets and helpers as the dispatch benchmark
    BIN,
    ROOT,
    SECRET,
    campaign_seed,
    children,
    cpu_seconds,
    event_body,
    free_port,
    post_event,
    stop,
    wait_until,
)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def signed_lines(bodies: list[bytes], path: Path) -> None:
    timestamp = str(int(time.time()))
    with path.open("wb") as out:
        for body in bodies:
            digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            out.write(f"{timestamp}\tsha256={digest}\t".encode() + body + b"\n")


STORE_CODE = """
import json, sys
from surveys.ingest.schema import event_parse
from surveys.services.ticket_events import event_from, events_store
batch = []
for line in sys.stdin:
    batch.append(event_from(event_parse(json.loads(line))))
    if len(batch) == 5000:
        events_store(batch); batch = []
events_store(batch)
"""


class Bench:
    def __init__(self, args):
        import redis

        self.args = args
        self.db_url_base = args.pg
        # BENCH_DB_PREFIX: on a shared PostgreSQL, a name of one's own (the default otherwise).
        self.dbname = f"{os.environ.get('BENCH_DB_PREFIX', 'bench_ingest')}_{os.getpid()}"
        # --code-root: run another checkout's code (before/after) under this same script.
        self.root = Path(args.code_root) if getattr(args, "code_root", None) else ROOT
        self.db_url = f"{args.pg}/{self.dbname}"
        self.work = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
        self.processes: list[tuple[str, Path, subprocess.Popen]] = []
        self.broker = redis.Redis.from_url(args.redis_url)
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "x" * 50,
            "DATABASE_URL": self.db_url,
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": args.redis_url,
            "EMAIL_URL": "consolemail://",
            "WEBHOOK_SECRET": SECRET,
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(self.work),
            "LOG_LEVEL": "WARNING",
            "TICKET_EVENTS_SWEEP_SECONDS": "2",
            "DJANGO_SETTINGS_MODULE": "surveys_project.settings",
        }

    def __enter__(self):
        import psycopg

        with psycopg.connect(f"{self.db_url_base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        self.broker.flushdb()
        manage = [str(BIN / "python"), "manage.py"]
        try:
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=self.root, env=self.env, check=True)
            # Invitations are written but not due (delay 60 min): sending is not under test here.
            seed = campaign_seed(delay_minutes=60)
            subprocess.run(
                [*manage, "shell", "-c", seed], cwd=self.root, env=self.env, check=True, capture_output=True
            )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        import psycopg

        for _name, pidfile, popen in reversed(self.processes):
            stop(pidfile, popen)
        self.broker.flushdb()
        with psycopg.connect(f"{self.db_url_base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def sql(self, query: str):
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return conn.execute(query).fetchall()

    def gunicorn(self) -> None:
        """2 workers always; ``--threads`` above 1 makes them gthread workers (keep-alive), as the
        Procfile's WEB_THREADS does."""
        pidfile = self.work / "gunicorn.pid"
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "surveys_project.wsgi", "--workers", "2", "--threads", str(self.args.threads),
             "--bind", f"127.0.0.1:{self.port}", "--pid", str(pidfile), "--log-level", "warning"],
            cwd=self.root, env=self.env,
        )  # fmt: skip
        self.processes.append(("gunicorn", pidfile, web))

        def up():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except OSError:
                return False

        if not wait_until(up, 60):
            raise SystemExit("gunicorn did not start")
        self.web = web

    def web_cpu(self) -> float:
        """CPU seconds used so far by gunicorn's workers (and its master)."""
        pids = [self.web.pid, *children(self.web.pid)]
        return sum(cpu_seconds(pid) or 0.0 for pid in pids)

    def celery(self, *, workers: int = 2, beat: bool = False) -> None:
        for n in range(1, workers + 1):
            pidfile = self.work / f"worker{n}.pid"
            worker = subprocess.Popen(
                [str(BIN / "celery"), "-A", "surveys_project", "worker", "--pool=solo", f"--pidfile={pidfile}",
                 "-n", f"ingest{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--loglevel=WARNING"],
                cwd=self.root, env=self.env,
            )  # fmt: skip
            self.processes.append((f"worker {n}", pidfile, worker))
        if beat:
            pidfile = self.work / "beat.pid"
            process = subprocess.Popen(
                [str(BIN / "celery"), "-A", "surveys_project", "beat", f"--pidfile={pidfile}",
                 f"--schedule={self.work / 'beat-schedule'}", "--loglevel=WARNING"],
                cwd=self.root, env=self.env,
            )  # fmt: skip
            self.processes.append(("beat", pidfile, process))

    def wrk(self, script: str, lines: Path, *, connections: int, seconds: int, extra_env: dict) -> dict:
        env = {**os.environ, "DISPATCH_BENCH_EVENTS": str(lines), "DISPATCH_BENCH_THREADS": "2", **extra_env}
        wrk = subprocess.Popen(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
             "-s", str(Path(__file__).with_name(script)), f"http://127.0.0.1:{self.port}"],
            env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        return wrk


def wrk_figures(out: str) -> dict:
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), "")
    return dict(part.split("=") for part in line.split()[1:])


WARM_UP_EVENTS = 64


def warm_up(bench: Bench, run: str) -> int:
    """Post a few events from 8 clients before the clock starts, so every worker (and thread) has
    imported the webhook's code, opened its database and Redis connections and published its
    first nudge: a worker's first event costs 0.3-1 s, and wrk's latency correction (it adds
    samples for the requests a slow one held back) turns one such second into a p99."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda n: post_event(bench.port, event_body(n, f"{run}-warm")), range(WARM_UP_EVENTS))
        )
    assert statuses == [202] * WARM_UP_EVENTS, statuses
    return WARM_UP_EVENTS
