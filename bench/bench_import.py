"""CSV import benchmark: `manage.py import_tickets` on a generated export of closed tickets.

    .venv/bin/python bench/bench_import.py                # 10,000 rows
    .venv/bin/python bench/bench_import.py --rows 100000

Creates a fresh PostgreSQL database (dropped at the end) with one campaign that surveys every
closed ticket, writes a CSV of N closed tickets (each a new ticket of a new customer, columns
as in docs/api.md), imports it, then imports it again (every row a duplicate) and once more
with --dry-run. Prints rows/s of each pass, the CPU per row of the import's processes and of
the PostgreSQL server (when it runs on this machine: /proc), and the peak RSS of the import
process. Needs PostgreSQL (--pg).

    .venv/bin/python bench/bench_import.py --rows 20000 --jobs 1 --floor

--floor then writes the imported rows again with nothing but the ORM (bench/import_floor.py)
and prints what that costs per line: the least the import could cost through the ORM. On the
machine's cores, the import cannot import more lines a second than the cores' CPU-seconds
divided by its CPU per line, the import's processes' and PostgreSQL's together ("cpu_bound_rows_per_s").
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(Path(__file__).parent))

from shared import campaign_seed, event_body, postgres_cpu_seconds  # noqa: E402 - the same tickets as the webhook benchmark


def write_csv(path: Path, rows: int, run: str) -> None:
    with path.open("w", newline="") as out:
        writer = None
        for n in range(rows):
            ticket = json.loads(event_body(n, run))["ticket"]
            row = {"ticket_id": ticket["id"]}
            row |= {k: v for k, v in ticket.items() if not isinstance(v, dict) and k != "id"}
            for who in ("agent", "customer"):
                row |= {f"{who}_{k}": v for k, v in ticket[who].items()}
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)


def timed_import(
    manage: list[str], env: dict, csv_path: Path, *extra: str
) -> tuple[float, float | None, float | None, str]:
    """Seconds, peak RSS in MiB and CPU seconds (user + system) of the import process (both
    when GNU time is installed: apt install time) and the summary."""
    gnu_time = ["/usr/bin/time", "-v"] if os.path.exists("/usr/bin/time") else []
    started = time.monotonic()
    run = subprocess.run(
        [*gnu_time, *manage, "import_tickets", str(csv_path), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    rss = int(found.group(1)) / 1024 if found else None
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", run.stderr)]
    return seconds, rss, sum(cpu) if cpu else None, run.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--jobs", type=int, help="import_tickets --jobs (default: the command's own)")
    parser.add_argument(
        "--floor", action="store_true", help="then time the ORM's writes alone (bench/import_floor.py)"
    )
    args = parser.parse_args()

    import psycopg

    run = f"i{os.getpid()}"
    dbname = f"bench_import_{run}"
    admin_url = f"{args.pg}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "DATABASE_URL": f"{args.pg}/{dbname}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
        "SITE_URL": "http://127.0.0.1:8000",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "surveys_project.settings",
    }
    manage = [str(BIN / "python"), "manage.py"]
    figures: dict = {"rows": args.rows}
    try:
        with tempfile.TemporaryDirectory() as work:
            env["VAR_DIR"] = work
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            seed = campaign_seed(delay_minutes=60)  # invitations made, none due during the import
            subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True, capture_output=True)
            csv_path = Path(work) / "tickets.csv"
            write_csv(csv_path, args.rows, run)
            figures["csv_mib"] = round(csv_path.stat().st_size / 2**20, 1)
            jobs = ("--jobs", str(args.jobs)) if args.jobs else ()
            figures["jobs"] = args.jobs or "default"
            for label, extra in (
                ("import", jobs),
                ("again_all_duplicates", jobs),
                ("dry_run", ("--dry-run",)),
            ):
                pg_before = postgres_cpu_seconds()
                seconds, rss, cpu, summary = timed_import(manage, env, csv_path, *extra)
                pg_cpu = postgres_cpu_seconds() - pg_before
                figures[label] = {
                    "seconds": round(seconds, 1),
                    "rows_per_s": round(args.rows / seconds, 1),
                    # Less moved by the host's load than the rate: compare versions by it.
                    "cpu_ms_per_row": round(cpu * 1000 / args.rows, 3) if cpu is not None else None,
                    "postgresql_cpu_ms_per_row": round(pg_cpu * 1000 / args.rows, 3) if pg_cpu else None,
                    "peak_rss_mib": round(rss, 1) if rss else None,
                    "summary": summary,
                }
                if cpu is not None and pg_cpu:
                    figures[label]["cpu_bound_rows_per_s"] = round(
                        (os.cpu_count() or 1) * args.rows / (cpu + pg_cpu)
                    )
            with psycopg.connect(f"{args.pg}/{dbname}") as conn:
                figures["tickets"] = conn.execute("SELECT count(*) FROM surveys_ticket").fetchone()[0]
                figures["invitations"] = conn.execute("SELECT count(*) FROM surveys_invitation").fetchone()[0]
            if args.floor:
                floor = subprocess.run(
                    [str(BIN / "python"), str(ROOT / "bench" / "import_floor.py")],
                    cwd=ROOT, env=env, capture_output=True, text=True,
                )  # fmt: skip
                if floor.returncode:
                    print(floor.stderr, file=sys.stderr)
                    figures["orm_floor"] = "failed: its error is printed above"
                else:
                    figures["orm_floor"] = json.loads(floor.stdout.strip().splitlines()[-1])
                    floor_ms = figures["orm_floor"]["total_cpu_ms_per_line"]
                    figures["orm_floor"]["cpu_bound_rows_per_s"] = round(
                        (os.cpu_count() or 1) * 1000 / floor_ms
                    )
        figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(
        f"\n{figures['import']['rows_per_s']} rows/s imported, peak RSS {figures['import']['peak_rss_mib']} MiB"
    )
    floor_failed = isinstance(figures.get("orm_floor"), str)
    return 0 if figures["tickets"] == args.rows and not floor_failed else 1


if __name__ == "__main__":
    sys.exit(main())
