"""How fast the customer's survey page answers, on PostgreSQL.

    .venv/bin/python bench/bench_survey.py                 # both parts
    .venv/bin/python bench/bench_survey.py --skip-http     # in-process only
    .venv/bin/python bench/bench_survey.py --seconds 60 --users 8
    .venv/bin/python bench/bench_survey.py --load locust   # page then post, without wrk

1. In-process (Django test client): median GET and POST of a 7-question survey (one
   conditional), the GET's SQL statements, and the POST's for 7 and for 37 questions.
2. Over HTTP: gunicorn with 2 workers (sync; --threads N gives each N threads), DEBUG=0,
   production settings minus TLS, and wrk (apt install wrk; bench/survey_post.lua) on 8 connections, each request a full response
   to its own invitation from its own address. The survey takes a post without a prior page
   load (no CSRF cookie: the token is the credential). Reports submissions/s, latency
   percentiles, errors, gunicorn CPU per submission, and checks that every acknowledged
   submission is stored (and only those, or ones still in flight when wrk stopped).

Uses its own database (BENCH_DATABASE_URL, default …/surveys_survey_bench, migrated here) and
Redis (BENCH_REDIS_URL, default db 5) for the cache that holds the rate limits. The locust side
(--load locust) is bench/survey_locust.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from shared import production_settings_env  # noqa: E402
from survey_locust import ANSWERS, load_with_locust  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/surveys_survey_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")


# --- set-up -------------------------------------------------------------------------------
def env_for_django(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"SURVEY_BENCH_TOKENS"}}
    env.update(DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX="bench-survey", **extra)
    return env


def migrate() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin_url = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env_for_django(DEBUG="1"), check=True)


def production_env(static_root: Path, site_url: str = "http://localhost") -> dict:
    """Settings as in production (DEBUG=0: no query log, no template debug), minus TLS."""
    return env_for_django(
        **production_settings_env(static_root),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=site_url,
        TRUSTED_PROXIES="127.0.0.1",
    )


def collectstatic(static_root: Path) -> None:
    """The hashed manifest production uses; the survey page needs only its own files."""
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0", "--ignore", "reports"],
        cwd=ROOT,
        env=production_env(static_root),
        check=True,
    )


def django_setup(static_root: Path) -> None:
    os.environ.update(production_env(static_root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # The in-process client posts from one address; the limits are measured, not tripped.
    settings.SURVEY_RATE_LIMITS = dict.fromkeys(
        ("survey-token", "survey-ip", "survey-score-token", "survey-score-ip"), (10**6, 60)
    )


def build_survey(extra_questions: int = 0):
    """A campaign whose questionnaire has the 7 questions of ANSWERS (+ extra CES ones)."""
    from surveys import models as m
    from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory

    questionnaire = QuestionnaireFactory(title="Benchmark survey")
    choices = [{"value": v, "en": v.title(), "zh-hans": v} for v in ("slow", "rude", "billing", "login")]

    def add(key, kind, **fields):
        QuestionFactory(questionnaire=questionnaire, key=key, kind=kind, text=f"{key}?", **fields)

    add("nps", m.QuestionKind.NPS, required=True)
    add(
        "why",
        m.QuestionKind.SINGLE_CHOICE,
        choices=choices[:2],
        condition_key="nps",
        condition_values=[str(n) for n in range(7)],
        required=True,
    )
    add("csat", m.QuestionKind.CSAT)
    add("ces", m.QuestionKind.CES)
    add("stars", m.QuestionKind.RATING)
    add("topics", m.QuestionKind.MULTI_CHOICE, choices=choices[2:])
    add("comment", m.QuestionKind.TEXT)
    for n in range(extra_questions):
        add(f"extra{n}", m.QuestionKind.CES)
    return CampaignFactory(questionnaire=questionnaire, alert_recipients="")


def make_invitations(campaign, count: int) -> list[str]:
    """``count`` sent invitations on distinct tickets, in bulk (a few queries per thousand)."""
    from django.utils import timezone

    from surveys import models as m
    from tests.factories import AgentFactory, CustomerFactory, TicketFactory

    # Factory sequences restart with each run; the stamp keeps unique columns unique.
    stamp = f"{time.time_ns()}"
    customer = CustomerFactory(email=f"bench-{stamp}@example.org", external_id=f"bench-{stamp}")
    agent = AgentFactory(name=f"Bench agent {stamp}", external_id=f"bench-{stamp}")
    tickets = m.Ticket.objects.bulk_create(
        [
            TicketFactory.build(customer=customer, agent=agent, team=agent.team, external_id=f"B{stamp}-{i}")
            for i in range(count)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    invitations = m.Invitation.objects.bulk_create(
        [
            m.Invitation(
                campaign=campaign,
                ticket=t,
                customer=customer,
                questionnaire_id=campaign.questionnaire_id,
                status=m.InvitationStatus.SENT,
                send_after=now,
                sent_at=now,
                expires_at=now + timezone.timedelta(days=14),
            )
            for t in tickets
        ],
        batch_size=2000,
    )
    return [i.token for i in invitations]


# --- part 1: in-process -------------------------------------------------------------------
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def form_post(client, token: str, data: dict):
    """Post ``data`` as the survey page's form does: URL-encoded, as browsers send a form with
    no enctype (and as the HTTP part's wrk and locust do), not the test client's default
    multipart, which costs the server more to parse."""
    return client.post(
        f"/s/{token}/", urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded"
    )


def post_queries(client, token: str, data: dict) -> str:
    """The POST's SQL statements, as "statements (+ transaction control)"."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = form_post(client, token, data)
    assert page.status_code == 303, page.status_code
    sql = [q["sql"] for q in captured.captured_queries]
    control = [q for q in sql if q.startswith(TRANSACTION_CONTROL)]
    return f"{len(sql) - len(control)} (+{len(control)} BEGIN/COMMIT)"


def get_queries(client, token: str) -> int:
    """The page's SQL statements (a GET writes nothing, so no transaction control)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"/s/{token}/")
    assert page.status_code == 200, page.status_code
    return len(captured.captured_queries)


def in_process(rounds: int) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    campaign = build_survey()
    tokens = make_invitations(campaign, rounds + 20)
    gets, posts = [], []
    for n, token in enumerate(tokens):
        began = time.perf_counter()
        page = client.get(f"/s/{token}/")
        middle = time.perf_counter()
        answered = form_post(client, token, ANSWERS)
        ended = time.perf_counter()
        assert page.status_code == 200 and answered.status_code == 303
        if n >= 20:  # the first ones warm caches and connections
            gets.append((middle - began) * 1000)
            posts.append((ended - middle) * 1000)

    spare = make_invitations(campaign, 2)
    big = build_survey(extra_questions=30)
    big_token = make_invitations(big, 1)[0]
    big_answers = {**ANSWERS, **{f"extra{n}": "5" for n in range(30)}}
    # Worst case for the 7 questions: a one-click score is in, so the submit replaces it.
    form_post(client, spare[1], {"action": "score", "nps": "3"})
    get_statements = get_queries(client, spare[0])
    return {
        "rounds": rounds,
        "get_median_ms": round(statistics.median(gets), 2),
        "post_median_ms": round(statistics.median(posts), 2),
        "get_plus_post_median_ms": round(
            statistics.median(g + p for g, p in zip(gets, posts, strict=True)), 2
        ),
        "post_p95_ms": round(statistics.quantiles(posts, n=20)[18], 2),
        "get_queries_7_questions": get_statements,
        "post_queries_7_questions": post_queries(client, spare[0], ANSWERS),
        "post_queries_7_questions_after_one_click": post_queries(client, spare[1], ANSWERS),
        "post_queries_37_questions": post_queries(client, big_token, big_answers),
    }


# --- part 2: over HTTP --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    import urllib.request

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def over_http(seconds: int, users: int, invitations: int, static_root: Path, load: str, threads: int = 1) -> dict:
    from surveys import models as m

    campaign = build_survey()
    tokens = make_invitations(campaign, invitations)
    work = Path(tempfile.mkdtemp(prefix="bench-survey-"))
    (work / "tokens").write_text("\n".join(tokens))
    port = free_port()
    web_env = production_env(static_root, site_url=f"http://127.0.0.1:{port}")
    gunicorn = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "surveys_project.wsgi",
            "-w",
            "2",
            "--threads",  # above 1: gthread workers with keep-alive (the Procfile's WEB_THREADS)
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--pid",
            str(work / "gunicorn.pid"),
        ],
        cwd=ROOT,
        env=web_env,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        cpu_before = _tree_cpu_seconds(gunicorn.pid)
        if load == "wrk":
            result = _load_with_wrk(port, seconds, users, work)
        else:
            result = load_with_locust(port, seconds, users, work)
        gunicorn_cpu = _tree_cpu_seconds(gunicorn.pid) - cpu_before
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    stored = m.Response.objects.filter(invitation__campaign=campaign, is_complete=True).count()
    acknowledged = result.pop("acknowledged")
    return {
        "load_generator": load,
        "seconds": seconds,
        "concurrency": users,
        "gunicorn": f"2 workers x {threads} thread(s)",
        "submissions_per_s": round(acknowledged / seconds, 1),
        **result,
        "gunicorn_cpu_ms_per_submission": round(gunicorn_cpu * 1000 / max(acknowledged, 1), 2),
        "acknowledged": acknowledged,
        "responses_stored": stored,
        # every acknowledged submission stored, and nothing stored that was never sent
        "responses_match": acknowledged <= stored <= acknowledged + result.get("in_flight_at_stop", 0),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and workers)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            pids += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:
            continue
    return total


def _load_with_wrk(port: int, seconds: int, connections: int, work: Path) -> dict:
    """POST only: each request is one customer's full response (the page needs no prior GET)."""
    threads = 2
    env = {
        **os.environ,
        "SURVEY_BENCH_TOKENS": str(work / "tokens"),
        "SURVEY_BENCH_THREADS": str(threads),
        "SURVEY_BENCH_BODY": urlencode(ANSWERS, doseq=True),
    }
    script = Path(__file__).with_name("survey_post.lua")
    run = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in run.stdout.splitlines() if x.startswith("WRK "))
    figures = dict(part.split("=") for part in line.split()[1:])
    return {
        "post_median_ms": float(figures["p50_ms"]),
        "post_p95_ms": float(figures["p95_ms"]),
        "post_p99_ms": float(figures["p99_ms"]),
        "errors": int(figures["errors"]) + int(figures["socket_errors"]),
        "tokens_exhausted": int(figures["exhausted"]),
        "acknowledged": int(figures["acked"]),
        # wrk stops on the clock: these were sent, not yet answered; each may or may not be stored
        "in_flight_at_stop": int(figures["sent"]) - int(figures["acked"]) - int(figures["errors"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=8, help="concurrent connections (wrk) or users (locust)")
    parser.add_argument("--invitations", type=int, default=40000)
    parser.add_argument(
        "--load",
        choices=("wrk", "locust"),
        default="wrk" if shutil.which("wrk") else "locust",
        help="wrk (apt install wrk) posts only; locust opens the page first",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (2 workers)")
    args = parser.parse_args()
    migrate()
    static_root = Path(tempfile.mkdtemp(prefix="bench-survey-static-"))
    collectstatic(static_root)
    django_setup(static_root)
    figures = {"in_process": in_process(args.rounds)}
    print(json.dumps(figures, indent=2), flush=True)
    if not args.skip_http:
        figures["http"] = over_http(args.seconds, args.users, args.invitations, static_root, args.load, args.threads)
        print(json.dumps(figures["http"], indent=2))


if __name__ == "__main__":
    main()
