"""PostgreSQL prepared statements on and off (DATABASE_PREPARED_STATEMENTS), request by request.

    .venv/bin/python bench/bench_prepared.py [survey] [webhook] [--rounds N]  (both by default)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/surveys_reports_bench \\
        .venv/bin/python bench/bench_prepared.py dashboard [--rounds 40] [--days 90]

Two processes, one with the setting on and one with it off, each with its own persistent
connection, do one unit of work in turn (the order swapped every round), so a host whose speed
drifts by a quarter within minutes slows both alike. A unit is the survey's GET + POST (a new
invitation each time, as in bench_survey.py), one signed webhook event (as in bench_ingest.py
webhook-cpu), or one dashboard request (bench_reports.py's data and manager; run that first).
Production settings through Django's test client. Prints, per setting, the medians of: wall
time, this process's CPU, and the CPU its PostgreSQL backend spent (from the backend's
/proc/PID/schedstat, so PostgreSQL must run on this machine).
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = "BENCH_PREPARED_CHILD"
WARM_UP = 20


def _survey_work():
    import bench_survey

    static_root = Path(tempfile.mkdtemp(prefix="bench-prepared-static-"))
    bench_survey.collectstatic(static_root)
    bench_survey.django_setup(static_root)
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    tokens = iter(bench_survey.make_invitations(bench_survey.build_survey(), WARM_UP + ROUNDS))

    def work():
        token = next(tokens)
        page = client.get(f"/s/{token}/")
        answered = client.post(f"/s/{token}/", bench_survey.ANSWERS)
        assert page.status_code == 200 and answered.status_code == 303

    return work


def _webhook_work():
    import bench_survey
    from shared import SECRET, event_body

    os.environ["WEBHOOK_SECRET"] = SECRET
    bench_survey.django_setup(Path(tempfile.mkdtemp(prefix="bench-prepared-static-")))
    from django.test import Client

    from surveys.ingest.signing import signature_make

    client = Client(HTTP_HOST="localhost")
    numbers = itertools.count()
    run = f"prepared-{os.getpid()}-{time.time_ns()}"

    def work():
        body = event_body(next(numbers), run)
        stamp = int(time.time())
        answer = client.post(
            "/api/ticket-events/",
            data=body,
            content_type="application/json",
            HTTP_X_SURVEYS_TIMESTAMP=str(stamp),
            HTTP_X_SURVEYS_SIGNATURE=signature_make(secret=SECRET, timestamp=stamp, body=body),
        )
        assert answer.status_code == 202, answer.content

    return work


def _dashboard_work():
    import bench_reports

    bench_reports.deployed_settings(debug=False)
    bench_reports.setup_django()
    client = bench_reports.manager_client()
    url = f"/reports/?{bench_reports.period(DAYS)}"

    def work():
        assert client.get(url).status_code == 200

    return work


def child(page: str) -> None:
    """Set up, warm up, then one unit of work per line read; one JSON line of figures each."""
    work = {"survey": _survey_work, "webhook": _webhook_work, "dashboard": _dashboard_work}[page]()
    from django.db import connection

    def backend_cpu_ns() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])

    for _ in range(WARM_UP):
        work()
    print("ready", flush=True)
    for _line in sys.stdin:
        pg, cpu, wall = backend_cpu_ns(), time.process_time(), time.perf_counter()
        work()
        wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, backend_cpu_ns() - pg
        print(json.dumps({"wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3, "pg_cpu_ms": pg / 1e6}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", metavar="{survey,webhook,dashboard}")
    parser.add_argument("--rounds", type=int, help="units of work per setting (default 300, 2000, 40)")
    parser.add_argument("--days", type=int, default=90, help="dashboard: the period, ending today")
    args = parser.parse_args()
    pages = args.pages or ["survey", "webhook"]
    if set(pages) - {"survey", "webhook", "dashboard"}:
        parser.error("pages: survey, webhook, dashboard")
    for page in pages:
        compare(page, args.rounds or {"survey": 300, "webhook": 2000, "dashboard": 40}[page], args.days)


def compare(page: str, rounds: int, days: int) -> None:
    if page in ("survey", "webhook"):
        import bench_survey

        bench_survey.migrate()
    env = {**os.environ, CHILD: page, "BENCH_PREPARED_ROUNDS": str(rounds), "BENCH_PREPARED_DAYS": str(days)}
    children = {}
    for setting in ("1", "0"):
        process = subprocess.Popen(
            [sys.executable, __file__],
            env={**env, "DATABASE_PREPARED_STATEMENTS": setting},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        while (line := process.stdout.readline()) != "ready\n":
            if not line:
                raise SystemExit(f"the process with DATABASE_PREPARED_STATEMENTS={setting} stopped")
        children[setting] = process
    load_before = os.getloadavg()[0]
    figures = {setting: [] for setting in children}
    for n in range(rounds):
        for setting in ("1", "0") if n % 2 == 0 else ("0", "1"):
            children[setting].stdin.write("go\n")
            children[setting].stdin.flush()
            figures[setting].append(json.loads(children[setting].stdout.readline()))
    for process in children.values():
        process.stdin.close()
        process.wait()
    print(f"{page}, {rounds} rounds each, load (1 min) {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    for setting, rows in figures.items():
        medians = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        print(
            f"  DATABASE_PREPARED_STATEMENTS={setting}: wall {medians['wall_ms']:.2f} ms, "
            f"CPU {medians['cpu_ms']:.2f} ms, PostgreSQL backend CPU {medians['pg_cpu_ms']:.2f} ms (medians)"
        )


if os.environ.get(CHILD):
    ROUNDS = int(os.environ["BENCH_PREPARED_ROUNDS"])
    DAYS = int(os.environ["BENCH_PREPARED_DAYS"])

if __name__ == "__main__":
    if os.environ.get(CHILD):
        child(os.environ[CHILD])
    else:
        main()
