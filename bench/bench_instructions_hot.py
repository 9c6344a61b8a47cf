"""Instructions the CPU executes for one unit of the hot paths, counted by valgrind's callgrind:

    .venv/bin/python bench/bench_instructions_hot.py webhook [--units 100] [--code-root OTHER]
    .venv/bin/python bench/bench_instructions_hot.py survey  [--units 40] [--server]
    .venv/bin/python bench/bench_instructions_hot.py apply --server [--rows 1000 3000]
    .venv/bin/python bench/bench_instructions_hot.py import  [--rows 1000 3000] [--server]
    .venv/bin/python bench/bench_instructions_hot.py         # all three, as `make bench` runs it

- ``webhook``: one signed ticket event posted in process (Django's test client, production
  settings), after 30 to warm up: instructions per event, the nudger thread's calls for them
  included (it is warmed up and settled first; under valgrind, about fifty times slower, it
  folds fewer events into a call than at full speed, so this is an upper bound).
- ``survey``: the customer's GET then POST of a 7-question survey in process (as
  ``bench_survey.py``'s first part; the POST URL-encoded, as the page's form sends it), after
  10 to warm up: instructions per GET + POST.
- ``import``: ``manage.py import_tickets --jobs 1`` of two files of new tickets (as
  ``bench_import.py``), each into a fresh database; the difference divided by the difference in
  rows is the instructions per row, the start-up cancelled out.

``--server`` (import, survey or apply) counts PostgreSQL's side instead: a private cluster (initdb
in a temporary folder, a free port, autovacuum off) runs under callgrind, and the instructions
of the server process that served each import (or each survey child, run with 20 and with
20 + ``--units`` pairs) are added up, per row (or per GET + POST) by the difference. ``apply``
(server only) is the workers' batches: a backlog of ``--rows`` stored events applied in one
process, batch after batch (``bench_ingest.py apply-cpu``'s loop), per event by the difference.
The server's own helper processes (WAL writer, checkpointer) are left out.

Wall and CPU times on a shared 2-core host move by a quarter between runs; instruction counts
barely move, so two versions of the code compare on a busy host (``--code-root`` runs another
checkout under this script). The cyclic garbage collector is off while counting, and
PYTHONHASHSEED fixed. Needs valgrind (apt install valgrind), PostgreSQL (--pg) and Redis.
"""

import argparse
import gc
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
CHILD = "BENCH_HOT_CHILD"  # in the child: the work it counts
SERVER_ONLY = "BENCH_HOT_SERVER_ONLY"  # in the child: not under callgrind (--server)
WORKS = ("webhook", "survey", "import")
DEFAULT_UNITS = {"webhook": 100, "survey": 40}


def _instr(on: bool) -> None:
    if os.environ.get(SERVER_ONLY):  # the child runs outside callgrind; the server is counted
        return
    subprocess.run(["callgrind_control", f"--instr={'on' if on else 'off'}", str(os.getpid())], check=True,
                   capture_output=True)  # fmt: skip


def _counted(env: dict, cwd: Path, argv: list[str], *, at_start: bool = False) -> int:
    with tempfile.TemporaryDirectory() as out:
        child = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--instr-atstart={'yes' if at_start else 'no'}",
             f"--callgrind-out-file={out}/callgrind.out", *argv],
            env=env | {"PYTHONHASHSEED": "0"}, cwd=cwd, capture_output=True, text=True,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", child.stderr)
    if child.returncode or not found:
        raise SystemExit(child.stderr[-3000:])
    return int(found.group(1))


def _child_argv(args) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--units", str(args.units)]
    return argv + (["--code-root", args.code_root] if args.code_root else [])


# --- in the child, under valgrind ---------------------------------------------------------
def webhook_child(units: int) -> None:
    import django

    django.setup()
    from bench_ingest import event_body
    from django.test import Client

    from surveys.ingest.signing import signature_make

    client = Client(SERVER_NAME="127.0.0.1")
    bodies = [event_body(n, f"h{os.getpid()}") for n in range(units + 30)]

    def post(body):
        stamp = int(time.time())
        signature = signature_make(secret=os.environ["WEBHOOK_SECRET"], timestamp=stamp, body=body)
        return client.post("/api/ticket-events/", data=body, content_type="application/json",
                           HTTP_X_SURVEYS_TIMESTAMP=str(stamp), HTTP_X_SURVEYS_SIGNATURE=signature)  # fmt: skip

    try:  # the nudger thread (checkouts since 2026-12-07): its first call sets up its clients
        from surveys.tasks.ingest import NUDGER
    except ImportError:
        NUDGER = None
    for body in bodies[:30]:
        assert post(body).status_code == 202
    if NUDGER is not None:
        NUDGER.settle(120)
    gc.collect()
    gc.disable()
    _instr(True)
    for body in bodies[30:]:
        assert post(body).status_code == 202
    if NUDGER is not None:
        NUDGER.settle(120)  # the calls the events asked for are counted too
    _instr(False)


def survey_child(units: int) -> None:
    import bench_survey
    from survey_locust import ANSWERS

    bench_survey.django_setup(Path(os.environ["BENCH_HOT_STATIC"]))
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    tokens = os.environ["BENCH_HOT_TOKENS"].split(",")
    # As the page's form posts (bench_survey.form_post), written out here for older checkouts.
    body, form = urlencode(ANSWERS, doseq=True), "application/x-www-form-urlencoded"
    for token in tokens[:10]:
        client.get(f"/s/{token}/")
        client.post(f"/s/{token}/", body, content_type=form)
    gc.collect()
    gc.disable()
    _instr(True)
    for token in tokens[10:]:
        assert client.get(f"/s/{token}/").status_code == 200
        assert client.post(f"/s/{token}/", body, content_type=form).status_code == 303
    _instr(False)


class CountedServer:
    """A private PostgreSQL under callgrind: one output file per server process, written when
    the process ends (a backend ends when its client disconnects)."""

    def __init__(self):
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
        if not binaries:
            raise SystemExit("--server needs PostgreSQL's server binaries (/usr/lib/postgresql/N/bin)")
        self.bin = binaries[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="bench-hot-pg-"))
        # initdb refuses root: as root, the cluster belongs to the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        data = self.dir / "data"
        subprocess.run([*self.as_user, str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
        self.process = subprocess.Popen(
            [*self.as_user, "valgrind", "--tool=callgrind", f"--callgrind-out-file={self.dir}/callgrind.%p",
             str(self.bin / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
             "-c", "autovacuum=off", "-c", f"unix_socket_directories={self.dir}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import psycopg

        deadline = time.monotonic() + 120
        while True:
            try:
                psycopg.connect(f"{self.url}/postgres").close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("the PostgreSQL under callgrind did not start") from None
                time.sleep(1)

    def __exit__(self, *exc):
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        self.process.wait(timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)

    def settled_files(self) -> set[Path]:
        """The output files once no server process has ended for two seconds."""
        files, quiet_since = set(), time.monotonic()
        while time.monotonic() - quiet_since < 2:
            now = set(self.dir.glob("callgrind.*"))
            if now != files:
                files, quiet_since = now, time.monotonic()
            time.sleep(0.25)
        return files

    @staticmethod
    def instructions(files: set[Path]) -> int:
        found = [re.search(r"^(?:summary|totals): (\d+)", f.read_text(), re.M) for f in files]
        if not files or not all(found):
            raise SystemExit("no finished server process to count")
        return sum(int(m.group(1)) for m in found)


# --- in the parent ------------------------------------------------------------------------
def run_webhook(args, root: Path) -> float:
    from ingest_harness import Bench

    with Bench(argparse.Namespace(pg=args.pg, redis_url=args.redis_url, code_root=str(root))) as bench:
        total = _counted(bench.env | {CHILD: "webhook"}, root, _child_argv(args))
    return total / args.units


def run_survey(args, root: Path) -> float:
    import bench_survey

    bench_survey.migrate()
    static_root = Path(tempfile.mkdtemp(prefix="bench-hot-static-"))
    bench_survey.collectstatic(static_root)
    bench_survey.django_setup(static_root)
    tokens = bench_survey.make_invitations(bench_survey.build_survey(), args.units + 10)
    env = os.environ | {
        CHILD: "survey",
        "BENCH_HOT_STATIC": str(static_root),
        "BENCH_HOT_TOKENS": ",".join(tokens),
    }
    total = _counted(env, root, _child_argv(args))
    shutil.rmtree(static_root, ignore_errors=True)
    return total / args.units


def run_survey_server(args, root: Path, server: "CountedServer") -> float:
    os.environ["BENCH_DATABASE_URL"] = f"{server.url}/bench_hot_survey"  # read when bench_survey loads
    import bench_survey

    bench_survey.migrate()
    static_root = Path(tempfile.mkdtemp(prefix="bench-hot-static-"))
    bench_survey.collectstatic(static_root)
    bench_survey.django_setup(static_root)
    low, high = 20, 20 + args.units
    tokens = bench_survey.make_invitations(bench_survey.build_survey(), low + high + 20)
    counted = {}
    for units, first in ((low, 0), (high, low + 10)):
        env = os.environ | {CHILD: "survey", SERVER_ONLY: "1", "BENCH_HOT_STATIC": str(static_root),
                            "BENCH_HOT_TOKENS": ",".join(tokens[first:first + units + 10])}  # fmt: skip
        argv = [sys.executable, str(Path(__file__).resolve()), "--units", str(units)]
        before = server.settled_files()
        subprocess.run(argv + (["--code-root", args.code_root] if args.code_root else []), env=env, cwd=root,
                       check=True, capture_output=True)  # fmt: skip
        counted[units] = server.instructions(server.settled_files() - before)
    shutil.rmtree(static_root, ignore_errors=True)
    return (counted[high] - counted[low]) / (high - low)


def run_apply_server(args, root: Path, server: "CountedServer") -> float:
    from bench_ingest import APPLY_CPU_CODE
    from ingest_harness import STORE_CODE, Bench
    from shared import event_body

    counted = {}
    python = str(root / ".venv" / "bin" / "python")
    for events in args.rows:
        harness = argparse.Namespace(pg=server.url, redis_url=args.redis_url, code_root=str(root))
        with Bench(harness) as bench:
            feed = "\n".join(event_body(n, f"a{events}").decode() for n in range(events))
            subprocess.run([python, "manage.py", "shell", "-c", STORE_CODE], input=feed, text=True, cwd=root,
                           env=bench.env, check=True, capture_output=True)  # fmt: skip
            before = server.settled_files()
            subprocess.run([python, "manage.py", "shell", "-c", APPLY_CPU_CODE.replace("BATCH", "500", 1)],
                           text=True, cwd=root, env=bench.env, check=True, capture_output=True)  # fmt: skip
            counted[events] = server.instructions(server.settled_files() - before)
    low, high = min(args.rows), max(args.rows)
    return (counted[high] - counted[low]) / (high - low)


def run_import(args, root: Path, server: "CountedServer | None" = None) -> float:
    import psycopg
    from bench_import import write_csv
    from shared import campaign_seed

    counted = {}
    for rows in args.rows:
        dbname = f"bench_hot_import_{os.getpid()}"
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env = os.environ | {
            "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50, "DATABASE_URL": f"{args.pg}/{dbname}",
            "REDIS_URL": "", "CELERY_BROKER_URL": "memory://", "SITE_URL": "http://127.0.0.1:8000",
            "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "surveys_project.settings",
        }  # fmt: skip
        python = str(root / ".venv" / "bin" / "python")
        try:
            with tempfile.TemporaryDirectory() as work:
                env["VAR_DIR"] = work
                subprocess.run(
                    [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=root, env=env, check=True
                )
                subprocess.run([python, "manage.py", "shell", "-c", campaign_seed(delay_minutes=60)], cwd=root,
                               env=env, check=True, capture_output=True)  # fmt: skip
                csv_path = Path(work) / "tickets.csv"
                write_csv(csv_path, rows, f"h{os.getpid()}")
                argv = [python, "manage.py", "import_tickets", str(csv_path), "--jobs", "1"]
                if server is None:
                    counted[rows] = _counted(env, root, argv, at_start=True)
                else:
                    before = server.settled_files()
                    subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)
                    counted[rows] = server.instructions(server.settled_files() - before)
        finally:
            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    low, high = min(args.rows), max(args.rows)
    return (counted[high] - counted[low]) / (high - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "work", nargs="*", help=f"any of {', '.join(WORKS)}; default: all three (as `make bench` runs it)"
    )
    parser.add_argument(
        "--units", type=int, help="events (webhook, default 100) or GET + POST pairs (survey, 40)"
    )
    parser.add_argument("--rows", type=int, nargs=2, default=[1000, 3000], help="import: the two files' rows; apply: the two backlogs' events")
    parser.add_argument("--server", action="store_true", help="import: count PostgreSQL's instructions instead")
    parser.add_argument("--code-root", help="run another checkout's code (before/after) under this script")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    args = parser.parse_args()
    if unknown := set(args.work) - set(WORKS) - ({"apply"} if args.server else set()):
        parser.error(f"unknown work: {', '.join(sorted(unknown))} (choose from {', '.join(WORKS)})")
    root = Path(args.code_root).resolve() if args.code_root else HERE.parent
    # The other checkout's own bench helpers too: they set Django up from their checkout.
    sys.path[:0] = [str(root / "bench"), str(root)]
    if work := os.environ.get(CHILD):
        os.chdir(root)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")
        {"webhook": webhook_child, "survey": survey_child}[work](args.units or DEFAULT_UNITS[work])
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("INSTRUCTIONS skipped: valgrind is not installed (apt install valgrind)")
        return
    if args.server:
        if len(args.work) != 1 or args.work[0] not in ("import", "survey", "apply"):
            parser.error("--server counts one work: import, survey or apply")
        work = args.work[0]
        with CountedServer() as server:
            if work == "import":
                per_unit = run_import(argparse.Namespace(**{**vars(args), "pg": server.url}), root, server)
            elif work == "apply":
                per_unit = run_apply_server(args, root, server)
            else:
                per_unit = run_survey_server(argparse.Namespace(**{**vars(args), "units": args.units or 40}), root, server)
        unit = {"survey": "GET + POST", "import": "imported row", "apply": "applied event"}[work]
        print(f"INSTRUCTIONS {work}, PostgreSQL ({root}): {per_unit / 1e6:.2f} M per {unit} (callgrind)")
        return
    for work in args.work or WORKS:
        one = argparse.Namespace(**{**vars(args), "units": args.units or DEFAULT_UNITS.get(work, 0)})
        per_unit = {"webhook": run_webhook, "survey": run_survey, "import": run_import}[work](one, root)
        unit = {"webhook": "event", "survey": "GET + POST", "import": "imported row"}[work]
        print(f"INSTRUCTIONS {work} ({root}): {per_unit / 1e6:.2f} M per {unit} (callgrind)", flush=True)


if __name__ == "__main__":
    main()
