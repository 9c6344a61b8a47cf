"""Ingest benchmarks (accept, then apply), one command each, on a fresh PostgreSQL database:

    .venv/bin/python bench/bench_ingest.py webhook --events 20000   # accepted/s and p95 (wrk)
    .venv/bin/python bench/bench_ingest.py apply --events 100000    # backlog applied/s, 2 workers
    .venv/bin/python bench/bench_ingest.py apply-cpu --events 10000 [--code-root OTHER_CHECKOUT]
    .venv/bin/python bench/bench_ingest.py latency --rate 500 --seconds 60

- ``webhook``: gunicorn (2 workers: sync, or ``--threads N`` gthread) and wrk post signed
  ticket.closed events, each once (bench/events_post.lua), after a warm-up of 64 events; the
  request only stores them. No worker runs. Prints events/s accepted, p50/p95/p99/max latency
  (wrk's, which adds samples for requests a slow one held back), every status other than 202,
  and gunicorn's CPU per event.
- ``apply``: the backlog is stored straight in the database (the webhook's own insert, in
  chunks of 5,000), then 2 Celery worker processes (``--pool=solo``) each run the apply task
  until none is left. Prints events/s applied and invitations written.
- ``apply-cpu``: the same backlog applied in one process (no Celery), batch after batch: CPU
  and wall milliseconds per event and the statements issued, for a before/after of the code
  on a busy host (``--code-root`` runs another checkout).
- ``latency``: gunicorn, 2 Celery workers and beat run together; wrk posts at about ``--rate``
  events/s for ``--seconds`` (bench/events_paced.lua). For every event, the time from its
  ``received_at`` to its invitation's ``created_at`` (both written by the database host's
  clock): max, p95, p50.

Each prints the load average before and after (``uptime``). Needs PostgreSQL (--pg) and Redis
(--redis-url; that database is flushed, give it one of its own). ``--code-root`` runs another
checkout's code under this same script (before/after); ``BENCH_DB_PREFIX`` names the database.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import signal
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


def run_webhook(args) -> dict:
    figures = {"mode": "webhook", "events": args.events, "load_before": uptime()}
    with Bench(args) as bench:
        bench.gunicorn()
        run = f"w{os.getpid()}"
        warm = warm_up(bench, run)
        lines = bench.work / "events.tsv"
        signed_lines([event_body(n, run) for n in range(args.events)], lines)
        cpu_before = bench.web_cpu()
        started = time.monotonic()
        wrk = bench.wrk("events_post.lua", lines, connections=args.clients, seconds=3600, extra_env={})
        stored, last_change, last_at = 0, time.monotonic(), started
        while stored < args.events and wrk.poll() is None and time.monotonic() - last_change < 10:
            time.sleep(0.05)
            now_stored = bench.sql("SELECT count(*) FROM surveys_ticketevent")[0][0] - warm
            if now_stored != stored:
                stored, last_change, last_at = now_stored, time.monotonic(), time.monotonic()
        web_cpu = bench.web_cpu() - cpu_before
        wrk.send_signal(signal.SIGINT)
        out, _ = wrk.communicate(timeout=30)
        seconds = last_at - started
        wrk_out = wrk_figures(out)
        figures |= {
            "stored": stored,
            "seconds": round(seconds, 2),
            "events_per_s": round(stored / seconds, 1),
            "wrk": wrk_out,
            "gunicorn": f"2 workers x {args.threads} thread(s)",
            "web_cpu_ms_per_event": round(web_cpu * 1000 / max(stored, 1), 2),
            "warm_up_events": warm,
            "applied_in_request": bench.sql("SELECT count(*) FROM surveys_ticket")[0][0],
            "code": str(bench.root),
        }
    figures["load_after"] = uptime()
    return figures


CPU_CODE = """
import json, os, sys, time
from django.test import Client
from surveys.ingest.signing import signature_make
bodies = [line.encode() for line in sys.stdin.read().splitlines()]
client = Client(SERVER_NAME="127.0.0.1")
def post(body):
    stamp = int(time.time())
    return client.post("/api/ticket-events/", data=body, content_type="application/json",
                       HTTP_X_SURVEYS_TIMESTAMP=str(stamp),
                       HTTP_X_SURVEYS_SIGNATURE=signature_make(secret=os.environ["WEBHOOK_SECRET"], timestamp=stamp, body=body))
for body in bodies[:200]:  # warm up
    post(body)
cpu, wall = time.process_time(), time.perf_counter()
for body in bodies[200:]:
    assert post(body).status_code == 202
print(json.dumps({"cpu_ms_per_event": round((time.process_time() - cpu) * 1000 / (len(bodies) - 200), 3),
                  "wall_ms_per_event": round((time.perf_counter() - wall) * 1000 / (len(bodies) - 200), 3)}))
"""


def run_webhook_cpu(args) -> dict:
    """The webhook in one process (Django's test client, no HTTP): CPU and wall time per event,
    for comparing two versions of the code on a busy host (--code-root: another checkout)."""
    figures = {"mode": "webhook-cpu", "events": args.events, "load_before": uptime()}
    with Bench(args) as bench:
        run = f"c{os.getpid()}"
        feed = "\n".join(event_body(n, run).decode() for n in range(args.events + 200))
        root = bench.root
        out = subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", CPU_CODE], input=feed, text=True,
                             cwd=root, env=bench.env, capture_output=True)  # fmt: skip
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        out = out.stdout
        figures |= json.loads(out.strip().splitlines()[-1])
        figures["code"] = str(root)
    figures["load_after"] = uptime()
    return figures


def run_apply(args) -> dict:
    figures = {"mode": "apply", "events": args.events, "load_before": uptime()}
    with Bench(args) as bench:
        run = f"a{os.getpid()}"
        feed = "\n".join(event_body(n, run).decode() for n in range(args.events))
        subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", STORE_CODE], input=feed, text=True,
                       cwd=ROOT, env=bench.env, check=True)  # fmt: skip
        assert bench.sql("SELECT count(*) FROM surveys_ticketevent WHERE status = 'stored'")[0][0] == args.events
        bench.celery(workers=2)
        time.sleep(3)  # let the workers connect before the clock starts
        code = (
            "from surveys.tasks.ingest import ticket_events_apply\n"
            "for _ in range(2): ticket_events_apply.apply_async()\n"
        )
        started = time.monotonic()
        subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", code], cwd=ROOT, env=bench.env, check=True)

        def drained():
            return bench.sql("SELECT count(*) FROM surveys_ticketevent WHERE status = 'stored'")[0][0] == 0

        wait_until(drained, args.timeout, interval=0.5)
        seconds = time.monotonic() - started
        counts = dict(bench.sql("SELECT status, count(*) FROM surveys_ticketevent GROUP BY status"))
        figures |= {
            "seconds (incl. the task publish)": round(seconds, 1),
            "events_per_s": round(args.events / seconds, 1),
            "statuses": counts,
            "invitations": bench.sql("SELECT count(*) FROM surveys_invitation")[0][0],
            "workers": "2 x celery --pool=solo",
        }
    figures["load_after"] = uptime()
    return figures


APPLY_CPU_CODE = """
import json, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from surveys.services.ticket_events import events_apply_batch
batch = BATCH
cpu, wall, applied, queries = time.process_time(), time.perf_counter(), 0, 0
while True:
    with CaptureQueriesContext(connection) as captured:
        result = events_apply_batch(limit=batch)
    queries += len(captured)
    if not result.claimed:
        break
    applied += result.applied
print(json.dumps({"applied": applied, "queries": queries,
                  "cpu_ms_per_event": round((time.process_time() - cpu) * 1000 / applied, 3),
                  "wall_ms_per_event": round((time.perf_counter() - wall) * 1000 / applied, 3)}))
"""


def run_apply_cpu(args) -> dict:
    """The apply service in one process, no Celery: CPU and wall time per event applied and the
    statements issued, for comparing two versions of the code on a busy host (--code-root)."""
    figures = {"mode": "apply-cpu", "events": args.events, "batch": args.batch, "load_before": uptime()}
    with Bench(args) as bench:
        run = f"p{os.getpid()}"
        root = Path(args.code_root) if args.code_root else ROOT
        feed = "\n".join(event_body(n, run).decode() for n in range(args.events))
        subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", STORE_CODE], input=feed, text=True,
                       cwd=root, env=bench.env, check=True)  # fmt: skip
        code = APPLY_CPU_CODE.replace("BATCH", str(args.batch), 1)
        out = subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", code], text=True,
                             cwd=root, env=bench.env, capture_output=True)  # fmt: skip
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        figures |= json.loads(out.stdout.strip().splitlines()[-1])
        figures["invitations"] = bench.sql("SELECT count(*) FROM surveys_invitation")[0][0]
        figures["code"] = str(root)
    figures["load_after"] = uptime()
    return figures


def run_latency(args) -> dict:
    total = args.rate * args.seconds
    figures = {"mode": "latency", "target_rate": args.rate, "seconds": args.seconds, "load_before": uptime()}
    with Bench(args) as bench:
        bench.gunicorn()
        bench.celery(workers=2, beat=True)
        time.sleep(5)
        run = f"l{os.getpid()}"
        lines = bench.work / "events.tsv"
        signed_lines([event_body(n, run) for n in range(total)], lines)
        connections = args.clients
        wrk = bench.wrk(
            "events_paced.lua", lines, connections=connections, seconds=args.seconds + 30,
            extra_env={
                "PACED_DELAY_MS": str(round(1000 * connections / args.rate)),
                "PACED_RATE": str(args.rate),
                "PACED_CONNECTIONS": str(connections),
            },
        )  # fmt: skip
        started = time.monotonic()

        def all_stored():
            return bench.sql("SELECT count(*) FROM surveys_ticketevent")[0][0] >= total

        wait_until(all_stored, args.seconds + 60, interval=0.5)
        posted_s = time.monotonic() - started
        wrk.send_signal(signal.SIGINT)
        out, _ = wrk.communicate(timeout=30)

        def all_applied():
            return bench.sql("SELECT count(*) FROM surveys_ticketevent WHERE status = 'stored'")[0][0] == 0

        wait_until(all_applied, 120, interval=0.5)
        delays = [
            row[0]
            for row in bench.sql(
                "SELECT EXTRACT(EPOCH FROM i.created_at - e.received_at) FROM surveys_ticketevent e "
                "JOIN surveys_invitation i ON i.ticket_id = e.ticket_id ORDER BY 1"
            )
        ]
        figures |= {
            "events": total,
            "posted_seconds": round(posted_s, 1),
            "achieved_rate": round(total / posted_s, 1),
            "wrk": wrk_figures(out),
            "invitations": len(delays),
            "delay_s_p50": round(float(delays[len(delays) // 2]), 2) if delays else None,
            "delay_s_p95": round(float(delays[int(len(delays) * 0.95)]), 2) if delays else None,
            "delay_s_max": round(float(delays[-1]), 2) if delays else None,
            "over_5s": sum(1 for d in delays if d > 5),
            "code": str(bench.root),
        }
    figures["load_after"] = uptime()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("webhook", "webhook-cpu", "apply", "apply-cpu", "latency"))
    parser.add_argument("--code-root", help="run another checkout's code (before/after) under this script")
    parser.add_argument("--batch", type=int, default=500, help="apply-cpu: events per batch")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker (2 workers always; above 1: gthread, keep-alive)",
    )
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    args = parser.parse_args()
    modes = {
        "webhook": run_webhook, "webhook-cpu": run_webhook_cpu, "apply": run_apply, "apply-cpu": run_apply_cpu,
        "latency": run_latency,
    }  # fmt: skip
    figures = modes[args.mode](args)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
