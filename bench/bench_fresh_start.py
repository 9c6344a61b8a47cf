"""How long a newcomer waits: `make run` on a fresh clone until the admin answers and a
Celery worker is alive, then Ctrl-C; and the same again on the now warm clone.

    python bench/bench_fresh_start.py            # clones HEAD of this repository

Prints the figures; docs/benchmarks.md records them. Uses no PostgreSQL or Redis (the
embedded default), as on a newcomer's machine.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except OSError:
        return None, b""


def start(clone: Path, port: int, log: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                                              "DEBUG", "VIRTUAL_ENV"}}
    env["WEB_PORT"] = str(port)
    began = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    figures: dict = {}
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - began < TIMEOUT and len(figures) < 2:
        if proc.poll() is not None:
            raise SystemExit(f"make run exited with {proc.returncode}; see {log}")
        if "admin_s" not in figures and get(f"{base}/admin/login/")[0] == 200:
            figures["admin_s"] = time.monotonic() - began
        status, body = get(f"{base}/healthz")
        if "worker_s" not in figures and status == 200 and json.loads(body).get("worker_last_seen"):
            figures["worker_s"] = time.monotonic() - began
        time.sleep(0.25)
    stop_began = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    figures["stop_s"] = time.monotonic() - stop_began
    figures["port_free_after_stop"] = get(f"{base}/healthz")[0] is None
    figures["output"] = log.read_text()
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        for label in ("fresh clone", "second start"):
            figures = start(clone, free_port(), Path(tmp) / "run.log")
            print(f"make run, {label}: admin answers after {figures['admin_s']:.1f} s, "
                  f"worker alive after {figures['worker_s']:.1f} s, Ctrl-C stopped all in "
                  f"{figures['stop_s']:.1f} s (port free: {figures['port_free_after_stop']})")
            if label == "fresh clone":
                printed = [line for line in figures["output"].splitlines()
                           if line.startswith(("  ", "Customer surveys"))]
                print("  it printed:\n" + "\n".join(f"    {line}" for line in printed))
    sys.exit(0)


if __name__ == "__main__":
    main()
