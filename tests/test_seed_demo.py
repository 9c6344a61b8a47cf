"""`manage.py seed_demo`: the documented counts, idempotence, determinism and believability.

Building the demo takes a second or two, so one build is shared by the module (committed,
then deleted at the end); tests that rebuild do it inside their own rolled-back transaction.
"""

import statistics
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Avg, Count, F, Max, Q, Sum
from django.test import RequestFactory

from surveys import models as m
from surveys.demo import demo_delete
from surveys.demo.constants import CUSTOMERS, DEMO_LINEAGE, DEMO_SOURCE
from surveys.reports.figures import targets_for
from surveys.reports.filters import filters_parse
from surveys.roles import AGENTS, DESIGNERS, MANAGERS
from tests.factories import AgentFactory, TicketFactory

# A fixed "today" keeps the module's builds identical even if the run crosses midnight.
ANCHOR = datetime(2026, 11, 18, tzinfo=ZoneInfo("UTC"))
DEMO_USERNAMES = ["admin", "designer", "manager", "agent"]
ONE_DAY = timedelta(days=1)


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _demo_tickets():
    return m.Ticket.objects.filter(source=DEMO_SOURCE)


def _fingerprint() -> dict:
    """Aggregates that change if any generated number changes."""
    tickets = _demo_tickets().aggregate(
        tickets=Count("id"),
        resolution=Sum("resolution_s"),
        first_response=Sum("first_response_s"),
        reopens=Sum("reopen_count"),
        contacts=Sum("contact_count"),
        complaints=Count("id", filter=Q(is_complaint=True)),
    )
    responses = m.Response.objects.aggregate(
        responses=Count("id"),
        nps=Sum("nps_score"),
        csat=Sum("csat_score"),
        ces=Sum("ces_score"),
        partial=Count("id", filter=Q(is_complete=False)),
        response_complaints=Count("id", filter=Q(is_complaint=True)),
    )
    return {
        **tickets,
        **responses,
        "answers": m.Answer.objects.count(),
        "answer_sum": m.Answer.objects.aggregate(total=Sum("number"))["total"],
        "invitations": sorted(Counter(m.Invitation.objects.values_list("status", flat=True)).items()),
        "followups": sorted(Counter(m.FollowUp.objects.values_list("status", "reason")).items()),
        "comments": sorted(m.Answer.objects.exclude(text="").values_list("text", flat=True)),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One committed demo build (DEBUG off, as under pytest), deleted afterwards."""
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        patch.setattr("surveys.demo.seed.demo_anchor", lambda: ANCHOR)
        try:
            output = _seed()
            yield {"output": output, "fingerprint": _fingerprint(), "max_ticket_id": _max_ticket_id()}
        finally:
            demo_delete()


@pytest.fixture
def anchored(monkeypatch):
    monkeypatch.setattr("surveys.demo.seed.demo_anchor", lambda: ANCHOR)


def _max_ticket_id() -> int:
    return m.Ticket.objects.aggregate(top=Max("id"))["top"]


def test_builds_the_documented_organisation_and_volumes(demo, db):
    assert list(m.Team.objects.values_list("name", flat=True)) == ["Billing", "Tier 1", "Tier 2"]
    agents = m.Agent.objects.filter(external_id__startswith="demo-a-")
    assert agents.count() == 12
    assert not agents.filter(Q(email="") | Q(team=None)).exists()
    assert set(m.SLAPolicy.objects.values_list("priority", flat=True)) == set(m.Priority.values)
    assert m.Customer.objects.count() == CUSTOMERS
    assert 1800 <= _demo_tickets().count() <= 2200
    assert 510 <= m.Response.objects.count() <= 690
    assert m.Target.objects.count() == 2
    assert m.ImprovementAction.objects.count() == 2
    rule = m.AlertRule.objects.get()
    assert (rule.check_kind, rule.window_hours, rule.min_n) == (m.AlertCheck.NO_RESPONSES, 24, 1)
    assert "tickets" in demo["output"] and "responses" in demo["output"]


def test_second_run_changes_nothing_and_says_so(demo, db):
    before = _fingerprint()

    output = _seed()

    assert "already there" in output
    assert _fingerprint() == before
    assert _max_ticket_id() == demo["max_ticket_id"]


def test_reset_rebuilds_exactly_the_same_data(demo, db, anchored):
    _seed("--reset")

    assert _max_ticket_id() > demo["max_ticket_id"]  # new rows, not the old ones left alone
    assert _fingerprint() == demo["fingerprint"]
    assert m.Questionnaire.objects.filter(lineage=DEMO_LINEAGE).count() == 1
    assert m.Campaign.objects.count() == 1


def test_questionnaire_is_bilingual_with_the_conditional_question(demo, db):
    questions = {q.key: q for q in m.Question.objects.filter(questionnaire__lineage=DEMO_LINEAGE)}
    assert all(q.text_zh_hans for q in questions.values())
    assert questions["nps"].required and questions["csat"].required
    assert questions["csat"].dimension == m.Dimension.OVERALL
    ratings = {q.dimension for q in questions.values() if q.kind == m.QuestionKind.RATING}
    assert ratings == {"quality", "attitude", "timeliness", "effectiveness"}
    condition = questions["what_went_wrong"]
    assert (condition.condition_key, condition.condition_values) == ("nps", [str(n) for n in range(7)])
    assert all(choice["en"] and choice["zh-hans"] for choice in condition.choices)
    assert questions["complaint"].raises_complaint
    campaign = m.Campaign.objects.get()
    assert "{{ customer_name }}" in campaign.email_body_zh_hans
    assert "{{ ticket_subject }}" in campaign.email_subject_zh_hans


def test_what_went_wrong_is_answered_only_by_detractors(demo, db):
    answers = m.Answer.objects.filter(question__key="what_went_wrong").select_related("response")

    assert answers.count() > 20
    assert all(answer.response.nps_score <= 6 for answer in answers)
    assert all(answer.choices for answer in answers)


def test_slow_tickets_get_lower_scores(demo, db):
    rows = sorted(
        m.Response.objects.values_list("invitation__ticket__resolution_s", "nps_score"),
        key=lambda row: row[0],
    )
    quarter = len(rows) // 4

    fastest = statistics.mean(score for _, score in rows[:quarter])
    slowest = statistics.mean(score for _, score in rows[-quarter:])

    assert slowest < fastest - 0.5


def test_reopened_tickets_score_lower_than_first_time_fixes(demo, db):
    scores = m.Response.objects.values_list("invitation__ticket__reopen_count", "nps_score")
    reopened = [score for reopens, score in scores if reopens]
    first_time = [score for reopens, score in scores if not reopens]

    assert statistics.mean(reopened) < statistics.mean(first_time)


def test_tickets_have_believable_service_figures(demo, db):
    tickets = _demo_tickets()
    total = tickets.count()

    assert 0.05 <= tickets.filter(reopen_count__gte=1).count() / total <= 0.11
    assert 0.015 <= tickets.filter(is_complaint=True).count() / total <= 0.05
    assert tickets.filter(status=m.TicketStatus.CLOSED).count() / total > 0.9
    assert not tickets.exclude(cycle=F("reopen_count") + 1).exists()
    assert tickets.filter(contact_count=1).count() / total > 0.6
    assert set(tickets.values_list("category", flat=True)) == {
        "billing",
        "account",
        "technical",
        "shipping",
        "other",
    }
    assert set(tickets.values_list("channel", flat=True)) == {"email", "chat", "phone", "web"}
    policies = {p.priority: p for p in m.SLAPolicy.objects.all()}
    for priority, response_target, resolution_target in tickets.values_list(
        "priority", "sla_response_target_s", "sla_resolution_target_s"
    ).distinct():
        assert response_target == policies[priority].first_response_target_s
        assert resolution_target == policies[priority].resolution_target_s
    mean_by_team = dict(tickets.values_list("team__name").annotate(mean=Avg("resolution_s")))
    assert mean_by_team["Tier 2"] > 1.5 * mean_by_team["Tier 1"]  # the hard cases take longer
    assert not tickets.filter(agent=None).exists()
    assert not tickets.exclude(team=F("agent__team")).exists()


def test_invitations_follow_the_campaign_rules(demo, db):
    invitations = m.Invitation.objects.select_related("ticket", "customer")
    statuses = Counter(invitations.values_list("status", flat=True))
    reasons = Counter(invitations.values_list("suppression_reason", flat=True))

    assert not invitations.exclude(ticket__status=m.TicketStatus.CLOSED).exists()
    assert statuses["answered"] == m.Response.objects.count()
    assert statuses["expired"] > 0 and statuses["sent"] > 0 and statuses["suppressed"] > 0
    assert reasons["throttled"] > 0 and reasons["opted_out"] > 0
    for invitation in invitations.filter(suppression_reason="opted_out"):
        assert invitation.customer.opted_out_at <= invitation.ticket.closed_at
    sent = invitations.exclude(sent_at=None)
    assert not sent.filter(sent_at__lt=F("ticket__closed_at")).exists()
    assert not sent.exclude(
        expires_at=F("sent_at") + m.Campaign.objects.get().link_expiry_days * ONE_DAY
    ).exists()
    assert not invitations.exclude(cycle=F("ticket__cycle")).exists()
    assert not invitations.exclude(language=F("customer__locale")).exists()


def test_response_scores_match_their_answers(demo, db):
    complete = m.Response.objects.filter(is_complete=True).prefetch_related("answers__question")
    for response in complete:
        numbers = {answer.question.key: answer.number for answer in response.answers.all()}
        assert numbers["nps"] == response.nps_score
        assert numbers["csat"] == response.csat_score
        assert numbers["ces"] == response.ces_score
        complaint = numbers["complaint"] == 1 or response.csat_score <= 2
        assert response.is_complaint == complaint
        assert all(answer.kind == answer.question.kind for answer in response.answers.all())
        assert response.submitted_at > response.started_at


def test_partial_responses_hold_only_the_one_click_score(demo, db):
    partial = m.Response.objects.filter(is_complete=False)

    assert 5 <= partial.count() <= 60
    assert not partial.filter(submitted_at__isnull=False).exists()
    assert not partial.filter(Q(csat_score__isnull=False) | Q(ces_score__isnull=False)).exists()
    keys = set(m.Answer.objects.filter(response__in=partial).values_list("question__key", flat=True))
    assert keys == {"nps"}


def test_comments_come_in_the_respondents_language(demo, db):
    comments = m.Answer.objects.filter(question__key="comment").select_related("response")
    chinese = [c for c in comments if c.response.language == m.Language.ZH_HANS]
    english = [c for c in comments if c.response.language == m.Language.EN]

    assert chinese and english
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.text) for c in chinese)
    assert all(c.text.isascii() for c in english)


def test_every_unhappy_complete_response_has_a_follow_up(demo, db):
    unhappy = m.Response.objects.filter(is_complete=True).filter(Q(nps_score__lte=6) | Q(is_complaint=True))
    followups = m.FollowUp.objects.all()

    assert followups.count() == unhappy.count()
    assert not followups.exclude(response__in=unhappy).exists()
    assert not followups.filter(reason="complaint", response__is_complaint=False).exists()
    closed = followups.filter(status=m.FollowUpStatus.CLOSED)
    assert closed.exists() and followups.exclude(status=m.FollowUpStatus.CLOSED).exists()
    assert not closed.filter(closed_at__lt=F("created_at")).exists()
    assert not followups.exclude(created_at=F("response__submitted_at")).exists()


def test_without_debug_no_demo_logins_are_created(demo, db):
    assert "no demo logins" in demo["output"]
    assert not get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()


def test_with_debug_one_login_per_role_is_created_and_printed(demo, roles, settings, anchored):
    settings.DEBUG = True
    # The default hasher is slow on purpose; eight hashes would dominate this test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    output = _seed("--reset")

    for username in DEMO_USERNAMES:
        assert f"{username} / {username}" in output
        # With a request, as the login page calls it (django-axes refuses one without).
        login = RequestFactory().post("/admin/login/")
        assert authenticate(login, username=username, password=username) is not None
    users = {user.username: user for user in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
    assert users["admin"].is_superuser
    assert users["designer"].groups.filter(name=DESIGNERS).exists()
    assert users["manager"].groups.filter(name=MANAGERS).exists()
    assert users["agent"].groups.filter(name=AGENTS).exists()
    assert users["agent"].agent.external_id.startswith("demo-a-")


def test_reset_keeps_rows_that_are_not_demo_rows(demo, db, anchored):
    own_ticket = TicketFactory()
    billing = m.Team.objects.get(name="Billing")
    own_agent = AgentFactory(team=billing, external_id="hd-77")
    urgent = m.SLAPolicy.objects.get(priority=m.Priority.URGENT)
    urgent.first_response_target_s = 900
    urgent.save()

    _seed("--reset")

    assert m.Ticket.objects.filter(pk=own_ticket.pk).exists()
    assert m.Customer.objects.filter(pk=own_ticket.customer_id).exists()
    own_agent.refresh_from_db()
    assert own_agent.team_id == billing.pk
    assert m.SLAPolicy.objects.get(priority=m.Priority.URGENT).first_response_target_s == 900
    assert not _demo_tickets().filter(priority=m.Priority.URGENT).exclude(sla_response_target_s=900).exists()


def test_if_empty_builds_only_on_an_empty_database(demo, db, anchored):
    assert "already holds data" in _seed("--if-empty")
    assert _max_ticket_id() == demo["max_ticket_id"]

    demo_delete()
    output = _seed("--if-empty")

    assert "Demo data created" in output
    assert _fingerprint() == demo["fingerprint"]


def test_demo_targets_are_organisation_wide_so_the_default_dashboard_shows_them(demo, db, anchored):
    chosen = targets_for(filters_parse({}, today=ANCHOR.date()))  # no campaign, no team chosen
    assert {k: float(t.value) for k, t in chosen.items()} == {"nps": 30.0, "csat": 85.0}
    assert all(t.campaign_id is None and t.team_id is None for t in chosen.values())
    own = m.Target.objects.create(
        metric=m.Metric.NPS, comparison="gte", value=50, period_start=ANCHOR.date(), period_end=ANCHOR.date() + ONE_DAY
    )

    _seed("--reset")

    assert m.Target.objects.filter(pk=own.pk).exists()  # another organisation-wide target stays
    assert m.Target.objects.count() == 3
