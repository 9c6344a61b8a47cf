"""The survey benchmark's locust side (kept for machines without wrk): each simulated customer
opens the survey page, then posts the answers. locust imports this file with
SURVEY_BENCH_TOKENS set; bench_survey.py calls load_with_locust()."""

import csv
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWERS = {
    "nps": "4",
    "why": "slow",
    "csat": "4",
    "ces": "6",
    "stars": "5",
    "topics": ["billing", "login"],
    "comment": "Quick and friendly, thank you.",
}


# --- locust side (only when locust imports this file) ------------------------------------
if os.environ.get("SURVEY_BENCH_TOKENS"):
    from locust import task
    from locust.contrib.fasthttp import FastHttpUser

    _TOKENS = iter(Path(os.environ["SURVEY_BENCH_TOKENS"]).read_text().split())
    _ACKED = Path(os.environ["SURVEY_BENCH_ACKED"])

    # FastHttpUser: the load generator shares the machine, so it should cost little CPU.
    class Customer(FastHttpUser):
        """Opens one invitation's page and submits it, then takes the next invitation."""

        def on_start(self):
            self.acked = 0

        @task
        def answer(self):
            token = next(_TOKENS, None)
            if token is None:
                self.stop()
                return
            # Behind the load balancer every customer has an address of their own.
            ip = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            headers = {"X-Forwarded-For": ip}
            page = self.client.get(f"/s/{token}/", headers=headers, name="GET /s/<token>/")
            match = CSRF_RE.search(page.text or "")
            if not match:
                return
            with self.client.post(
                f"/s/{token}/",
                data=urlencode({**ANSWERS, "csrfmiddlewaretoken": match[1]}, doseq=True),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                allow_redirects=False,
                name="POST /s/<token>/",
                catch_response=True,
            ) as response:
                if response.status_code == 303:
                    response.success()
                    self.acked += 1
                else:
                    response.failure(f"status {response.status_code}")

        def on_stop(self):
            with _ACKED.open("a") as out:
                out.write(f"{self.acked}\n")


def load_with_locust(port: int, seconds: int, users: int, work: Path) -> dict:
    """Each simulated customer opens the page, then posts (kept for machines without wrk)."""
    acked = work / "acked"
    acked.write_text("")
    locust_env = {**os.environ, "SURVEY_BENCH_TOKENS": str(work / "tokens"), "SURVEY_BENCH_ACKED": str(acked)}
    subprocess.run(
        [PY, "-m", "locust", "-f", __file__, "--headless", "-u", str(users), "-r", str(users),
         "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(work / "stats"),
         "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
        cwd=ROOT, env=locust_env, check=False,
    )  # fmt: skip
    with (work / "stats_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    post, get = rows["POST /s/<token>/"], rows["GET /s/<token>/"]
    return {
        "post_median_ms": float(post["50%"]),
        "post_p95_ms": float(post["95%"]),
        "get_p95_ms": float(get["95%"]),
        "errors": int(post["Failure Count"]) + int(get["Failure Count"]),
        "acknowledged": sum(int(line) for line in acked.read_text().split()),
    }
