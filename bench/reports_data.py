"""Data for bench/bench_reports.py: tickets, invitations, responses and answers written with
set-based SQL on PostgreSQL (two years up to today, 10 teams, 100 agents, 50,000 customers;
see bench_reports.py's docstring for the shape)."""

import time

AGENTS, TEAMS, CUSTOMERS = 100, 10, 50_000
SPAN_DAYS = 730


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
                now() - interval '1 day' - random() * %(span)s * interval '1 day' AS closed_at,
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
              nps_score, csat_score, ces_score, updated_at, invitation_id, imported_from, imported_id)
            SELECT started, started + interval '2 minutes', true, csat <= 2 AND random() < 0.3, 'en',
              nps, csat, ces, now(), id, '', ''
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


def counts(using: str = "default") -> dict:
    from surveys import models as m

    return {
        "tickets": m.Ticket.objects.using(using).count(),
        "invitations": m.Invitation.objects.using(using).count(),
        "responses": m.Response.objects.using(using).count(),
        "answers": m.Answer.objects.using(using).count(),
    }
