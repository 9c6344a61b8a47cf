"""Instructions the CPU executes for one report request, counted by valgrind's callgrind.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/surveys_reports_bench \\
        .venv/bin/python bench/bench_instructions.py [--requests 3] [--days 90] [--page summary]

Wall and CPU times on a shared 2-core host move by a quarter from one run to the next, which
hides a change of a few per cent; the number of instructions barely moves (within 0.2 %
between runs of the same code on the same data: only the waits on the database vary). Use it
to compare two versions of the code: run the command in each checkout, on the same data. Needs `apt install valgrind` (skipped without it)
and the data of `bench_reports.py` (run that first, at the scale wanted: with none, it counts
an empty dashboard).

The page runs as in `bench_reports.py` (production settings, the test client, a manager), is
requested twice to warm up, then ``--requests`` times with callgrind counting; the cyclic
garbage collector is off while counting (when it runs depends on what ran before, and it
moved totals by about 3 %). Prints the instructions per request, in millions.
"""

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHILD = "BENCH_INSTRUCTIONS_CHILD"
PAGES = {"dashboard": "/reports/", "summary": "/reports/summary/"}


def count(args) -> None:
    """In the child, under valgrind: warm up, then count ``args.requests`` requests."""
    import bench_reports

    bench_reports.setup_django()
    client = bench_reports.manager_client()
    url = f"{PAGES[args.page]}?{bench_reports.period(args.days)}"
    for _ in range(2):
        assert client.get(url).status_code == 200
    gc.collect()
    gc.disable()
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(args.requests):
        client.get(url)
    subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--days", type=int, default=90, help="the page's period, ending today")
    parser.add_argument("--page", choices=sorted(PAGES), default="dashboard")
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if os.environ.get(CHILD):
        count(args)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("INSTRUCTIONS skipped: valgrind is not installed (apt install valgrind)")
        return
    import bench_reports

    bench_reports.deployed_settings(debug=False)
    bench_reports.ensure_database()
    bench_reports.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # here: under valgrind it would take minutes
    with tempfile.TemporaryDirectory() as out:
        child = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}/callgrind.out",
                sys.executable,
                *sys.argv,
            ],
            env=os.environ | {CHILD: "1", "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", child.stderr)
    if child.returncode or not found:
        raise SystemExit(child.stderr[-3000:])
    per_request = int(found.group(1)) / args.requests
    print(
        f"INSTRUCTIONS {args.page} {args.days} days: {per_request / 1e6:.1f} M per request "
        f"(callgrind, {args.requests} requests after 2 to warm up, garbage collector off)"
    )


if __name__ == "__main__":
    main()
