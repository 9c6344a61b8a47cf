"""Reports benchmark: generate tickets and responses on PostgreSQL with set-based SQL, then time
the dashboard, the API and the CSV export (and with --xlsx the workbook export).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/surveys_reports_bench \
        .venv/bin/python bench/bench_reports.py --tickets 1000000 --responses 300000

The pages are timed as a deployment serves them: DEBUG=0 (no query log, no template debug
information), the hashed static files of ``collectstatic``, production settings minus TLS;
``--debug`` times them under development settings (DEBUG=1), as figures before 2026-12-06 were.

The database named by BENCH_DATABASE_URL is created if missing and its survey tables are
emptied when the wanted scale differs from what is there (never point it at real data).
Data: two years up to today, 10 teams, 100 agents, 50,000 customers; tickets (written in time
order, as a helpdesk writes them) with lognormal response and resolution times against
per-priority SLA targets; 2 × R tickets
are invited, evenly spread over time, every second invitation answered with NPS, CSAT, CES and, for a
quarter, a comment; scores fall with resolution time so drivers have something to find.
After generating, the report rollups (surveys/reports/rollups_write.py) are rebuilt from scratch
and that step is timed on its own; when the data is reused, the incremental refresh that
beat runs is timed instead. Timings are medians of 5 warm runs through Django's test client
(no HTTP server), so they include URL routing, auth, every query and template rendering.
"""

import argparse
import atexit
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/surveys_reports_bench"
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")

from reports_data import SPAN_DAYS, counts, generate  # noqa: E402  (bench/ is on sys.path)
from shared import production_settings_env  # noqa: E402


def ensure_database() -> None:
    import psycopg

    base, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def deployed_settings(debug: bool) -> None:
    """Production settings minus TLS (the test client speaks plain HTTP), for this process and
    the export's child; or development settings with ``debug``."""
    if os.environ.get("BENCH_SETTINGS") == "deployed":  # the export's child: its parent did it
        return
    if debug:
        os.environ["DEBUG"] = "1"
        return
    static_root = Path(tempfile.mkdtemp(prefix="bench-reports-static-"))
    os.environ.update(production_settings_env(static_root), BENCH_SETTINGS="deployed")
    atexit.register(shutil.rmtree, static_root, ignore_errors=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )


def setup_django() -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def manager_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from surveys.roles import MANAGERS

    # get_or_create, never a password change: that would log out a bench running beside.
    user, _created = get_user_model().objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name=MANAGERS))
    client = Client()
    client.force_login(user)
    return client


def timed_get(client, url: str, runs: int = 5) -> tuple[float, int, int, float]:
    """Median seconds of ``runs`` warm GETs, the status, the number of SQL queries and the
    median CPU seconds of this process per GET (the database server's time not included)."""
    from django.db import connection

    response = client.get(url)  # warm
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), response.status_code, len(executed), statistics.median(cpu)


def period(days: int) -> str:
    from datetime import timedelta

    from surveys.reports.filters import site_today

    end = site_today() + timedelta(days=1)
    return f"start={(end - timedelta(days=days)).isoformat()}&end={end.isoformat()}"


def own_peak_rss_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's resident size
    over fork and exec into it, so a child of a large process reports the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_only(fmt: str) -> None:
    """Run in a child process so its peak RSS is the export's alone (plus Django)."""
    setup_django()
    from surveys.models import DataExport

    client = manager_client()
    start = time.perf_counter()
    response = client.get(f"/reports/export/responses.{fmt}?{period(SPAN_DAYS + 2)}")
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    seconds = time.perf_counter() - start
    # The export's own count of data rows (a CSV's newlines would also count those inside comments).
    rows = DataExport.objects.filter(user__username="bench-manager").latest("pk").rows
    print(
        f"EXPORT {fmt} rows={rows} seconds={seconds:.2f} rows_per_s={rows / seconds:.0f} "
        f"mb={size / 1e6:.1f} peak_rss_mb={own_peak_rss_mb():.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-only", choices=["csv", "xlsx"], help="time one export and stop")
    parser.add_argument("--xlsx", action="store_true", help="also time the XLSX export")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data even at the same scale")
    parser.add_argument("--sqlite", metavar="FILE", help="time the pages on SQLite (reports_sqlite.py)")
    parser.add_argument("--no-export", action="store_true", help="time the pages only, not the CSV export")
    parser.add_argument("--no-copy", action="store_true", help="with --sqlite: time the file as it is, no PostgreSQL")
    parser.add_argument(
        "--no-rollups", action="store_true", help="time the reports read from the source rows only"
    )
    parser.add_argument("--debug", action="store_true", help="time under development settings (DEBUG=1)")
    parser.add_argument(
        "--day-rows", action="store_true", help="read day rollup rows only, never month rows (their before figure)"
    )
    args = parser.parse_args()
    deployed_settings(args.debug)
    if args.export_only:
        export_only(args.export_only)
        return
    if args.responses * 2 > args.tickets:
        parser.error("--responses can be at most half of --tickets (every second invitation answers)")
    if args.sqlite:
        sqlite_main(args, parser)
        return
    ensure_database()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    have = counts()
    stale = have["tickets"] != args.tickets or have["responses"] != args.responses or not have["answers"]
    if stale or args.regenerate:
        from django.db import transaction

        with transaction.atomic():
            steps = generate(args.tickets, args.responses)
        print("GENERATE " + " ".join(f"{k}={v:.1f}s" for k, v in steps.items()))
    else:
        print("GENERATE reused the existing data")
    from surveys.reports.rollups_write import rollups_refresh

    # A rebuild after generating (or when none was ever built), else what beat runs.
    result = rollups_refresh(full=stale or args.regenerate, lease_seconds=3600)
    if result is None:
        parser.error("another rollup refresh holds the claim (reports_rebuild running?)")
    kind = "full rebuild" if result["full"] else f"incremental refresh, {result['days']} days"
    print(f"ROLLUPS {kind}: {result['seconds']:.1f}s")
    print("ROWS " + " ".join(f"{k}={v}" for k, v in counts().items()))
    time_pages(args)
    for fmt in [] if args.no_export else ["csv", "xlsx"] if args.xlsx else ["csv"]:
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", fmt],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"BENCH_DATABASE_URL": BENCH_URL},
        )
        print(child.stdout.strip())


def sqlite_main(args, parser) -> None:
    """--sqlite: the PostgreSQL bench data (generated beforehand at the same scale) copied into
    a SQLite file, its rollups rebuilt there, then the pages timed on SQLite."""
    from reports_sqlite import SOURCE, copy_from_source, use_sqlite

    if not args.no_copy:
        ensure_database()
    use_sqlite(args.sqlite, None if args.no_copy else BENCH_URL)
    setup_django()
    from django.core.management import call_command

    from surveys.reports.rollups_write import rollups_refresh

    call_command("migrate", verbosity=0)
    source = counts() if args.no_copy else counts(SOURCE)
    if source["tickets"] != args.tickets or source["responses"] != args.responses:
        parser.error(f"{BENCH_URL} holds {source}: run without --sqlite at this scale first")
    if args.no_copy:
        print("COPY skipped (--no-copy): the SQLite file as it is")
        result = rollups_refresh(lease_seconds=3600)
    elif counts() != source or args.regenerate:
        steps = copy_from_source()
        print("COPY " + " ".join(f"{k}={v:.1f}s" for k, v in steps.items()))
        result = rollups_refresh(full=True, lease_seconds=3600)
    else:
        print("COPY reused the SQLite file")
        result = rollups_refresh(lease_seconds=3600)
    kind = "full rebuild" if result["full"] else f"incremental refresh, {result['days']} days"
    print(f"ROLLUPS (SQLite) {kind}: {result['seconds']:.1f}s")
    print("ROWS " + " ".join(f"{k}={v}" for k, v in counts().items()))
    time_pages(args, sqlite=True)


def time_pages(args, sqlite: bool = False) -> None:
    if args.day_rows:
        from surveys.reports import rollups_read

        rollups_read.month_cuts = lambda time: None
    if args.no_rollups:
        from django.conf import settings

        settings.REPORT_ROLLUPS = False
    client = manager_client()
    pages = {
        "dashboard 90 days": f"/reports/?{period(90)}",
        "dashboard 2 years": f"/reports/?{period(SPAN_DAYS)}",
        "summary report 90 days": f"/reports/summary/?{period(90)}",
        "api summary 90 days": f"/api/metrics/summary/?{period(90)}",
        "api trend nps/week 2 years": f"/api/metrics/trend/?metric=nps&bucket=week&{period(SPAN_DAYS)}",
        "api breakdown csat/agent 90 days": f"/api/metrics/breakdown/?metric=csat&by=agent&{period(90)}",
        "api summary 2 years": f"/api/metrics/summary/?{period(SPAN_DAYS)}",
    }
    if sqlite:
        # The whole range: every generated day (the export's period).
        pages = {"dashboard whole range": f"/reports/?{period(SPAN_DAYS + 2)}"} | pages
    for name, url in pages.items():
        seconds, status, queries, cpu = timed_get(client, url, args.runs)
        print(
            f"TIME {name}: median {seconds * 1000:.0f} ms over {args.runs} warm runs "
            f"(CPU {cpu * 1000:.0f} ms), {queries} queries, HTTP {status}, load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
