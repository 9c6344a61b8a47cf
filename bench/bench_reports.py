"""Reports benchmark: generate tickets and responses on PostgreSQL with set-based SQL, then time
the dashboard, the API and the CSV export (and with --xlsx the workbook export).

    DEBUG=1 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/surveys_reports_bench \
        .venv/bin/python bench/bench_reports.py --tickets 1000000 --responses 300000

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
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/surveys_reports_bench"
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")

AGENTS, TEAMS, CUSTOMERS = 100, 10, 50_000
SPAN_DAYS = 730


def ensure_database() -> None:
    import psycopg

    base, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


TABLES = [
    "surveys_answer",
    "surveys_followup",
    "surveys_response",
    "surveys_invitation",
    "surveys_ticketevent",
    "surveys_ticket",
    "surveys_customer",
    "surveys_target",
    "surveys_improvementaction",
    "surveys_campaign",
    "surveys_question",
    "surveys_questionnaire",
    "surveys_agent",
    "surveys_team",
    "surveys_slapolicy",
    "surveys_dataexport",
    # Report rollups (no foreign-key constraints, so CASCADE does not reach them).
    "surveys_ticketfact",
    "surveys_invitationfact",
    "surveys_nonresponseday",
    "surveys_followupfact",
    "surveys_ticketday",
    "surveys_tickettimeday",
    "surveys_responseday",
    "surveys_invitationday",
    "surveys_funnelday",
    "surveys_rollupstate",
]


def generate(tickets: int, responses: int) -> dict:
    """Fill the tables; returns seconds per step."""
    from django.db import connection

    from surveys import models as m

    steps = {}
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    for priority, (frt, res) in {
        "low": (8, 72),
        "normal": (4, 24),
        "high": (1, 8),
        "urgent": (0.5, 4),
    }.items():
        m.SLAPolicy.objects.create(
            priority=priority, first_response_target_s=int(frt * 3600), resolution_target_s=int(res * 3600)
        )
    teams = [m.Team.objects.create(name=f"Team {i}") for i in range(TEAMS)]
    m.Agent.objects.bulk_create(
        [m.Agent(name=f"Agent {i}", external_id=f"bench-a-{i}", team=teams[i % TEAMS]) for i in range(AGENTS)]
    )
    questionnaire = m.Questionnaire.objects.create(title="Bench survey")
    questions = {
        kind: m.Question.objects.create(questionnaire=questionnaire, order=i, key=kind, kind=kind, text=kind)
        for i, kind in enumerate(["nps", "csat", "ces", "text"])
    }
    # A multiple choice, so the exports' choice labels are part of what is timed.
    questions["reason"] = m.Question.objects.create(
        questionnaire=questionnaire,
        order=4,
        key="reason",
        kind="multi_choice",
        text="reason",
        choices=[
            {"value": "slow", "en": "Too slow", "zh-hans": "太慢"},
            {"value": "manner", "en": "Unfriendly manner", "zh-hans": "态度不好"},
            {"value": "unclear", "en": "Unclear answer", "zh-hans": "回答不清楚"},
        ],
    )
    campaign = m.Campaign.objects.create(
        name="Bench", questionnaire=questionnaire, email_subject="s", email_body="b", delay_minutes=60
    )
    m.Target.objects.create(metric="nps", value=30, period_start="2020-01-01", period_end="2100-01-01")
    m.Target.objects.create(metric="csat", value=80, period_start="2020-01-01", period_end="2100-01-01")
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO surveys_customer (email, name, locale, external_id, segment, created_at)
               SELECT 'c' || g || '@bench.example', 'Customer ' || g, 'en', 'bench-c-' || g,
                      (ARRAY['enterprise', 'smb', 'consumer'])[1 + g %% 3], now()
               FROM generate_series(1, %s) g""",
            [CUSTOMERS],
        )
        steps["setup"] = time.perf_counter() - t0

        t = time.perf_counter()
        cur.execute(
            """
            WITH agent_ids AS (SELECT array_agg(id ORDER BY id) AS ids FROM surveys_agent),
            customer_range AS (SELECT min(id) AS lo, count(*) AS n FROM surveys_customer),
            raw AS (
              SELECT g,
                (ARRAY['low','normal','normal','normal','high','urgent'])[1 + floor(random() * 6)::int] AS priority,
                (ARRAY['billing','account','technical','shipping','other'])[1 + floor(random() * 5)::int] AS category,
                (ARRAY['email','email','chat','phone','web'])[1 + floor(random() * 5)::int] AS channel,
                1 + floor(random() * %(agents)s)::int AS agent_i,
                floor(random() * (SELECT n FROM customer_range))::bigint AS customer_i,
                now() - interval '1 day' - random() * interval '%(span)s days' AS closed_at,
                sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z1,
                sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2,
                random() AS u
              FROM generate_series(1, %(n)s) g
            ),
            timed AS (
              SELECT raw.*, s.first_response_target_s AS frt_target, s.resolution_target_s AS res_target,
                greatest(30, (s.resolution_target_s * 0.35 * exp(0.9 * z2)))::int AS res_s,
                greatest(30, (s.first_response_target_s * 0.45 * exp(0.9 * z1)))::int AS frt_raw
              FROM raw JOIN surveys_slapolicy s ON s.priority = raw.priority
            )
            INSERT INTO surveys_ticket (source, external_id, subject, category, priority, channel, status,
              opened_at, first_response_at, resolved_at, closed_at, contact_count, reopen_count, is_complaint,
              cycle, first_response_s, resolution_s, sla_response_target_s, sla_resolution_target_s,
              created_at, updated_at, agent_id, customer_id, team_id, reference)
            SELECT 'bench', 'B-' || g, 'Bench ticket', category, priority, channel, 'closed',
              closed_at - (res_s + 600) * interval '1 second',
              closed_at - (res_s + 600 - least(frt_raw, res_s)) * interval '1 second',
              closed_at - 600 * interval '1 second', closed_at,
              1 + (u < 0.25)::int + (u < 0.08)::int, (u > 0.93)::int, u < 0.02 + 0.05 * (res_s > res_target)::int,
              1, least(frt_raw, res_s), res_s, frt_target, res_target, now(), now(),
              a.id, (SELECT lo FROM customer_range) + customer_i, a.team_id, ''
            FROM timed JOIN surveys_agent a ON a.id = (SELECT ids FROM agent_ids)[agent_i]
            -- A helpdesk writes tickets as they happen: rows land roughly in time order.
            ORDER BY closed_at
            """,
            {"n": tickets, "agents": AGENTS, "span": SPAN_DAYS},
        )
        steps["tickets"] = time.perf_counter() - t

        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO surveys_invitation (cycle, token, language, status, suppression_reason, send_after,
              sent_at, last_sent_at, expires_at, reminders_sent, attempts, last_error, created_at, updated_at,
              campaign_id, customer_id, questionnaire_id, ticket_id, reminders_stopped)
            SELECT 1, md5(t.id::text || random()::text) || md5(random()::text), 'en',
              CASE WHEN t.rn %% 2 = 0 THEN 'answered' ELSE 'sent' END, '',
              t.closed_at + interval '1 hour', t.closed_at + interval '1 hour', t.closed_at + interval '1 hour',
              t.closed_at + interval '15 days', 0, 1, '', now(), now(), %(campaign)s, t.customer_id,
              %(questionnaire)s, t.id, false
            FROM (
              -- Exactly `invited` tickets, evenly spread over the id (= time) order.
              SELECT t.*, row_number() OVER (ORDER BY t.id) AS rn
              FROM surveys_ticket t, (SELECT min(id) AS lo FROM surveys_ticket) lo
              WHERE ((t.id - lo.lo) * %(invited)s) / %(n)s < ((t.id - lo.lo + 1) * %(invited)s) / %(n)s
            ) t
            ORDER BY t.closed_at
            """,
            {
                "campaign": campaign.pk,
                "questionnaire": questionnaire.pk,
                "invited": 2 * responses,
                "n": tickets,
            },
        )
        cur.execute(
            """
            INSERT INTO surveys_response (started_at, submitted_at, is_complete, is_complaint, language,
              nps_score, csat_score, ces_score, updated_at, invitation_id)
            SELECT started, started + interval '2 minutes', true, csat <= 2 AND random() < 0.3, 'en',
              nps, csat, ces, now(), id
            FROM (
              SELECT i.id, least(now() - interval '1 minute', i.sent_at + random() * interval '2 days') AS started,
                least(10, greatest(0, round(8.6 - 1.2 * t.resolution_s::float / t.sla_resolution_target_s
                                            - 1.5 * t.reopen_count + 2.2 * z)))::int AS nps,
                least(5, greatest(1, round(4.4 - 0.6 * t.resolution_s::float / t.sla_resolution_target_s
                                           + 1.0 * z)))::int AS csat,
                least(7, greatest(1, round(5.5 - 0.5 * t.contact_count + 1.3 * z)))::int AS ces
              FROM surveys_invitation i JOIN surveys_ticket t ON t.id = i.ticket_id,
                LATERAL (SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + 0 * i.id AS z) n
              WHERE i.status = 'answered'
            ) s
            ORDER BY started
            """
        )
        steps["invitations+responses"] = time.perf_counter() - t

        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO surveys_answer (kind, number, choices, text, question_id, response_id)
            SELECT 'nps', nps_score, '[]'::jsonb, '', %(nps)s, id FROM surveys_response
            UNION ALL SELECT 'csat', csat_score, '[]'::jsonb, '', %(csat)s, id FROM surveys_response
            UNION ALL SELECT 'ces', ces_score, '[]'::jsonb, '', %(ces)s, id FROM surveys_response
            UNION ALL SELECT 'text', NULL, '[]'::jsonb,
              (ARRAY['Quick and friendly, thanks!', 'Took far too long to get an answer.',
                     'Had to explain the problem three times.', 'Solved at once.'])[1 + id %% 4], %(text)s, id
              FROM surveys_response WHERE id %% 4 = 0
            UNION ALL SELECT 'multi_choice', NULL,
              (ARRAY['["slow"]', '["slow", "manner"]', '["unclear"]'])[1 + id %% 3]::jsonb, '', %(reason)s, id
              FROM surveys_response WHERE id %% 3 = 0
            """,
            {k: q.pk for k, q in questions.items()},
        )
        steps["answers"] = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute("ANALYZE")
        steps["analyze"] = time.perf_counter() - t
    steps["total"] = time.perf_counter() - t0
    return steps


def counts() -> dict:
    from surveys import models as m

    return {
        "tickets": m.Ticket.objects.count(),
        "invitations": m.Invitation.objects.count(),
        "responses": m.Response.objects.count(),
        "answers": m.Answer.objects.count(),
    }


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


def timed_get(client, url: str, runs: int = 5) -> tuple[float, int, int]:
    """Median seconds of ``runs`` warm GETs, the status and the number of SQL queries."""
    from django.db import connection

    response = client.get(url)  # warm
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
    return statistics.median(times), response.status_code, len(executed)


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
    parser.add_argument(
        "--no-rollups", action="store_true", help="time the reports read from the source rows only"
    )
    args = parser.parse_args()
    if args.export_only:
        export_only(args.export_only)
        return
    if args.responses * 2 > args.tickets:
        parser.error("--responses can be at most half of --tickets (every second invitation answers)")
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
    for name, url in pages.items():
        seconds, status, queries = timed_get(client, url, args.runs)
        print(
            f"TIME {name}: median {seconds * 1000:.0f} ms over {args.runs} warm runs, "
            f"{queries} queries, HTTP {status}"
        )
    for fmt in ["csv", "xlsx"] if args.xlsx else ["csv"]:
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", fmt],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"BENCH_DATABASE_URL": BENCH_URL},
        )
        print(child.stdout.strip())


if __name__ == "__main__":
    main()
