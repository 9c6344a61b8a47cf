"""First paint of the customer's survey page on a slow phone: 400 kbit/s, 400 ms round trip.

    .venv/bin/python bench/bench_survey_paint.py                # 7 runs, the tree it lives in
    .venv/bin/python bench/bench_survey_paint.py --runs 11
    .venv/bin/python bench/bench_survey_paint.py --tree /path/to/other/checkout   # e.g. main

gunicorn (2 sync workers, production settings: DEBUG=0, WhiteNoise's compressed static files)
serves the page from PostgreSQL. Debian's Chromium, driven by Playwright, opens a one-click link
from the email (``/s/<token>/?score=3``) in a fresh context each run (empty cache, no
connection reuse) at 375×667, with Chromium's own network emulation through the DevTools
protocol (``Network.emulateNetworkConditions``: 400 ms latency, 400 kbit/s down and up).
First-contentful-paint comes from the page's Performance API; the median of the runs is
printed with every request the page made (bytes on the wire, render-blocking or not).

``--tree`` serves another checkout with this file's Python (same requirements, same database:
its migrations must match). The survey is the 7-question one of bench/bench_survey.py.
Uses its own database (BENCH_DATABASE_URL, default …/surveys_paint_bench) and Redis
(BENCH_REDIS_URL, default db 5).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/surveys_paint_bench")
sys.path.insert(0, str(HERE))

import bench_survey as shared  # noqa: E402  (the set-up helpers: database, settings, survey)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SLOW_PHONE = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
TIMINGS = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    fcp_ms: paint ? paint.startTime : null,
    html_response_end_ms: nav.responseEnd,
    load_ms: nav.loadEventEnd,
    resources: [nav, ...performance.getEntriesByType('resource')].map((r) => ({
      url: new URL(r.name).pathname,
      wire_bytes: r.transferSize,
      body_bytes: r.decodedBodySize,
      blocking: r.renderBlockingStatus,
    })),
  };
}"""


def serve(tree: Path, static_root: Path, port: int, work: Path) -> subprocess.Popen:
    subprocess.run(
        [shared.PY, "manage.py", "collectstatic", "--noinput", "-v0", "--ignore", "reports"],
        cwd=tree,
        env=shared.production_env(static_root),
        check=True,
    )
    env = shared.production_env(static_root, site_url=f"http://127.0.0.1:{port}")
    gunicorn = subprocess.Popen(
        [shared.PY, "-m", "gunicorn", "surveys_project.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", "--pid", str(work / "gunicorn.pid")],
        cwd=tree,
        env=env,
        start_new_session=True,
    )
    shared.wait_for(f"http://127.0.0.1:{port}/healthz")
    return gunicorn


def measure(url_for, runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for run in range(runs + 1):  # the first run warms gunicorn's workers and is dropped
            context = browser.new_context(
                viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
            )
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_PHONE)
            page.goto(url_for(run), wait_until="load", timeout=120_000)
            page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
            if run:
                results.append(page.evaluate(TIMINGS))
            context.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="the checkout to serve")
    args = parser.parse_args()

    shared.migrate()
    static_root = Path(tempfile.mkdtemp(prefix="bench-paint-static-"))
    work = Path(tempfile.mkdtemp(prefix="bench-paint-"))
    shared.django_setup(static_root)
    tokens = shared.make_invitations(shared.build_survey(), args.runs + 1)
    port = shared.free_port()
    gunicorn = serve(args.tree.resolve(), static_root, port, work)
    try:
        results = measure(lambda run: f"http://127.0.0.1:{port}/s/{tokens[run]}/?score=3", args.runs)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    fcps = sorted(r["fcp_ms"] for r in results)
    last = results[-1]
    figures = {
        "tree": str(args.tree.resolve()),
        "network": "400 kbit/s down and up, 400 ms latency (Chromium DevTools emulation)",
        "runs": len(fcps),
        "fcp_median_ms": round(statistics.median(fcps)),
        "fcp_min_max_ms": [round(fcps[0]), round(fcps[-1])],
        "html_response_end_median_ms": round(statistics.median(r["html_response_end_ms"] for r in results)),
        "load_median_ms": round(statistics.median(r["load_ms"] for r in results)),
        "requests": last["resources"],
        "wire_bytes_total": sum(r["wire_bytes"] for r in last["resources"]),
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
