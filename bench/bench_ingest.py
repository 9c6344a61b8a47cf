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
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ingest_harness import STORE_CODE, Bench, signed_lines, uptime, warm_up, wrk_figures  # noqa: E402
from shared import (  # noqa: E402 - the same tickets and helpers as the dispatch benchmark
    BIN,
    ROOT,
    event_body,
    wait_until,
)


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
