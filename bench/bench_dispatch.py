"""Dispatch benchmark: signed ticket.closed events in over HTTP, survey emails out over SMTP.

    .venv/bin/python bench/bench_dispatch.py                 # 10,000 events
    .venv/bin/python bench/bench_dispatch.py --events 1000   # a quicker run
    .venv/bin/python bench/bench_dispatch.py --apply-first   # the sending alone

1. Creates a fresh PostgreSQL database (dropped at the end), migrates it and adds one
   campaign that surveys every closed ticket at once.
2. Starts gunicorn (2 workers) and POSTs the events, signed, to /api/ticket-events/ from a
   few client threads; each event is a new ticket for a new customer. The webhook only stores
   the events (and nudges one apply task into Redis). No Celery worker runs yet.
3. Starts 2 Celery worker processes, which apply the stored events (one invitation each, sent
   on commit) and deliver the emails to an aiosmtpd SMTP server on
   loopback, and waits until every invitation has arrived (by unique token), then until the
   queue is empty: a send also sends a batch of other due invitations, whose own messages
   are consumed afterwards as one-query no-ops.

Each worker runs --pool=threads --concurrency=4: an email waits on PostgreSQL and SMTP round
trips, and four threads a process keep both cores busy (--pool=solo delivered half as fast;
two or eight threads, or --prefetch-multiplier=4, made no difference beyond the noise).
INVITATION_SEND_BATCH_SIZE and the other settings pass through the environment.

Prints events/s accepted, emails/s delivered, duplicates and missing (both must be 0), the
peak RSS and CPU seconds of every process, and emails per worker CPU second (at the last
email, and with the queue drained). Needs PostgreSQL and Redis (see --pg and --redis-url);
the Redis database given is flushed before and after, so give it one of its own.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from shared import (  # noqa: E402 - the helpers bench_ingest.py shares
    BIN,
    ROOT,
    SECRET,
    Sink,
    campaign_seed,
    children,
    cpu_seconds,
    event_body,
    free_port,
    peak_rss_mib,
    post_event,
    stop,
    wait_until,
)


def post_with_wrk(
    port: int, bodies: list[bytes], connections: int, work: Path, db_url: str
) -> tuple[Counter, float, int]:
    """Every event once, signed up front, from wrk (bench/events_post.lua): the load generator
    then costs next to no CPU on the 2 cores it shares with gunicorn and PostgreSQL.

    The database, not wrk, says when every event is in: wrk can drop a request without
    counting an error when gunicorn closes a connection under it, so the run watches
    surveys_ticketevent, stops wrk once every event is stored (or none arrived for 10 s), and
    posts any event wrk dropped again from Python. Those are counted, and the time stops at
    the last event wrk delivered."""
    import psycopg

    timestamp = str(int(time.time()))
    events = work / "events.tsv"
    with events.open("wb") as out:
        for body in bodies:
            digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            out.write(f"{timestamp}\tsha256={digest}\t".encode() + body + b"\n")
    threads = 2
    env = {**os.environ, "DISPATCH_BENCH_EVENTS": str(events), "DISPATCH_BENCH_THREADS": str(threads)}
    script = Path(__file__).with_name("events_post.lua")
    started = time.monotonic()
    wrk = subprocess.Popen(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", "3600s", "--timeout", "30s", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    stored, last_change, last_stored_at = 0, time.monotonic(), started
    with psycopg.connect(db_url, autocommit=True) as conn:
        while stored < len(bodies) and wrk.poll() is None and time.monotonic() - last_change < 10:
            time.sleep(0.05)
            now_stored = conn.execute("SELECT count(*) FROM surveys_ticketevent").fetchone()[0]
            if now_stored != stored:
                stored, last_change, last_stored_at = now_stored, time.monotonic(), time.monotonic()
        wrk.send_signal(signal.SIGINT)  # wrk prints its summary on SIGINT
        out, _ = wrk.communicate(timeout=30)
        seconds = last_stored_at - started
        have = {row[0] for row in conn.execute("SELECT event_id FROM surveys_ticketevent")}
    statuses = Counter()
    resent = 0
    for body in bodies:
        if json.loads(body)["event_id"] not in have:
            statuses[post_event(port, body)] += 1
            resent += 1
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), "")
    figures = dict(part.split("=") for part in line.split()[1:])
    statuses[202] += int(figures.get("accepted", 0))
    refused = int(figures.get("refused", 0))
    if refused:
        statuses["refused by server"] += refused
    return statuses, seconds, resent


# --- the run --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8, help="connections (wrk) or threads (python)")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="wrk (apt install wrk) or Python threads, which spend CPU the server could use",
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    parser.add_argument("--deliver-timeout", type=float, default=600)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=1, help="gunicorn --threads (gthread when > 1)")
    parser.add_argument("--worker-pool", default="threads", help="pool of each of the 2 Celery workers")
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument(
        "--apply-first",
        action="store_true",
        help="apply the stored events in this process before the workers start, so the figure is "
        "the sending alone (issue 12's 'emails to an SMTP sink' row); the send messages wait in Redis",
    )
    args = parser.parse_args()

    import psycopg
    import redis

    run = f"b{os.getpid()}"
    dbname = f"bench_dispatch_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="bench_dispatch_"))
    admin_url = f"{args.pg}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()

    from aiosmtpd.controller import Controller

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    web_port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "x" * 50,
            "DATABASE_URL": f"{args.pg}/{dbname}",
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": args.redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "WEBHOOK_SECRET": SECRET,
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(work),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "surveys_project.settings",
        }
    )
    processes: list[tuple[str, Path, subprocess.Popen]] = []
    figures: dict = {}
    try:
        manage = [str(BIN / "python"), "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "shell", "-c", campaign_seed(delay_minutes=0)], cwd=ROOT, env=env, check=True)

        web_pid = work / "gunicorn.pid"
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "surveys_project.wsgi", "--workers", str(args.web_workers),
             "--threads", str(args.web_threads), "--bind", f"127.0.0.1:{web_port}",
             "--pid", str(web_pid), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        processes.append(("gunicorn", web_pid, web))

        def web_up():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", web_port, timeout=2)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except OSError:
                return False

        if not wait_until(web_up, 60):
            raise SystemExit("gunicorn did not start")

        bodies = [event_body(n, run) for n in range(args.events)]
        if args.client == "wrk":
            statuses, accept_s, figures["events_resent_after_wrk_dropped_them"] = post_with_wrk(
                web_port, bodies, args.clients, work, f"{args.pg}/{dbname}"
            )
        else:
            started = time.monotonic()
            with ThreadPoolExecutor(args.clients) as pool:
                statuses = Counter(pool.map(lambda body: post_event(web_port, body), bodies))
            accept_s = time.monotonic() - started
        figures["client"] = f"{args.client}, {args.clients} connections"
        figures["events"] = args.events
        figures["web"] = f"gunicorn --workers {args.web_workers} --threads {args.web_threads}"
        figures["workers"] = f"2 x celery --pool={args.worker_pool} --concurrency={args.worker_concurrency}"
        figures["accepted_202"] = statuses.get(202, 0)
        figures["other_statuses"] = {k: v for k, v in statuses.items() if k != 202}
        figures["accept_seconds"] = round(accept_s, 2)
        figures["events_per_s"] = round(args.events / accept_s, 1)

        if args.apply_first:
            started = time.monotonic()
            apply_all = "from surveys.services.ticket_events import events_apply_all; events_apply_all()"
            subprocess.run([*manage, "shell", "-c", apply_all], cwd=ROOT, env=env, check=True)
            figures["applied_first_seconds"] = round(time.monotonic() - started, 2)
        workers_started = time.monotonic()
        for n in (1, 2):
            pidfile = work / f"worker{n}.pid"
            worker = subprocess.Popen(
                [str(BIN / "celery"), "-A", "surveys_project", "worker", f"--pool={args.worker_pool}",
                 f"--concurrency={args.worker_concurrency}", f"--pidfile={pidfile}",
                 "-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--loglevel=WARNING"],
                cwd=ROOT, env=env,
            )  # fmt: skip
            processes.append((f"celery worker {n}", pidfile, worker))

        # The webhook only stored the events: the workers apply them (the webhook's nudge is in
        # the queue), writing the invitations they then send.
        def applied() -> bool:
            with psycopg.connect(f"{args.pg}/{dbname}") as conn:
                return not conn.execute("SELECT 1 FROM surveys_ticketevent WHERE status = 'stored' LIMIT 1").fetchone()

        wait_until(applied, args.deliver_timeout, interval=0.2)
        figures["applied_seconds"] = round(time.monotonic() - workers_started, 2)
        with psycopg.connect(f"{args.pg}/{dbname}") as conn:
            expected = {
                row[0]
                for row in conn.execute(
                    "SELECT token FROM surveys_invitation WHERE status IN ('scheduled','sending','sent')"
                )
            }
        figures["invitations"] = len(expected)
        wait_until(lambda: sink.delivered() >= len(expected), args.deliver_timeout, interval=0.5)
        delivered_at = time.monotonic()
        time.sleep(2.0)  # a duplicate would arrive now
        tokens = Counter(sink.tokens)
        deliver_s = (sink.last or delivered_at) - workers_started
        figures["emails_delivered"] = len(set(tokens) & expected)
        figures["deliver_seconds"] = round(deliver_s, 2)
        figures["emails_per_s"] = round(figures["emails_delivered"] / deliver_s, 1) if deliver_s else 0
        if sink.first and sink.last and sink.last > sink.first:
            figures["emails_per_s_first_to_last"] = round(len(tokens) / (sink.last - sink.first), 1)
        figures["duplicates"] = sum(n - 1 for n in tokens.values() if n > 1)
        figures["missing"] = len(expected - set(tokens))
        figures["unexpected"] = len(set(tokens) - expected)

        def measure():
            rss, cpu = {}, {}
            for name, pidfile, popen in processes:
                try:
                    pid = int(pidfile.read_text().strip())
                except (OSError, ValueError):
                    pid = popen.pid
                for label, each in [(f"{name} (pid {pid})", pid)] + [
                    (f"{name} child (pid {child})", child) for child in children(pid)
                ]:
                    rss[label], cpu[label] = peak_rss_mib(each), cpu_seconds(each)
            return rss, cpu

        rss, cpu = measure()
        figures["peak_rss_mib"] = {k: round(v, 1) for k, v in rss.items() if v is not None}
        figures["cpu_seconds"] = {k: round(v, 1) for k, v in cpu.items() if v is not None}
        worker_cpu = sum(v for k, v in cpu.items() if k.startswith("celery") and v)
        web_cpu = sum(v for k, v in cpu.items() if k.startswith("gunicorn") and v)
        if worker_cpu:
            figures["emails_per_worker_cpu_second"] = round(figures["emails_delivered"] / worker_cpu, 1)
        if web_cpu:
            figures["events_per_web_cpu_second"] = round(figures["accepted_202"] / web_cpu, 1)

        # A batch sends invitations whose own messages are still queued; those messages are
        # then consumed as no-ops after the last email. Count them too.
        def queue_empty():
            return broker.llen("celery") == 0 and broker.hlen("unacked") == 0

        figures["queue_drained"] = wait_until(queue_empty, 300, interval=0.2)
        figures["queue_drained_seconds"] = round(time.monotonic() - workers_started, 2)
        _rss, cpu = measure()
        worker_cpu = sum(v for k, v in cpu.items() if k.startswith("celery") and v)
        if worker_cpu:
            figures["worker_cpu_seconds_at_drain"] = round(worker_cpu, 1)
            figures["emails_per_worker_cpu_second_incl_drain"] = round(
                figures["emails_delivered"] / worker_cpu, 1
            )
        figures["load_average_at_end"] = os.getloadavg()
    finally:
        for _name, pidfile, popen in reversed(processes):
            stop(pidfile, popen)
        smtp.stop()
        broker.flushdb()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    print(json.dumps(figures, indent=2))
    print(
        f"\n{figures['events_per_s']} events/s accepted, {figures['emails_per_s']} emails/s delivered, "
        f"duplicates {figures['duplicates']}, missing {figures['missing']}"
    )
    return 0 if figures["duplicates"] == 0 and figures["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
