"""Scanner clicks: every rule at its edges, the window, and what a person's click does after.

Times are built relative to now and the clock is moved explicitly (time-machine), so the
tests pass on any date.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from surveys import models as m
from surveys.answers import AnswerData
from surveys.services.responses import response_submit
from surveys.services.score_clicks import client_network, score_click_record, score_clicks_settle
from tests.factories import InvitationFactory
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db

WINDOW, SWEEP, MIN_AFTER_SEND = 120, 10, 10
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
HEADLESS = BROWSER.replace("Chrome/", "HeadlessChrome/")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.SCANNER_WINDOW_SECONDS = WINDOW
    settings.SCANNER_SWEEP_SECONDS = SWEEP
    settings.SCANNER_MIN_SECONDS_AFTER_SEND = MIN_AFTER_SEND
    settings.SCANNER_USER_AGENTS = ["HeadlessChrome", "PhantomJS"]


@pytest.fixture
def sent():
    """When the email went out: a day ago, to the second."""
    return timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def email(campaign, sent):
    return InvitationFactory(campaign=campaign, sent_at=sent, last_sent_at=sent, expires_at=sent + timedelta(days=14))


def click(invitation, score, at, *, via="link", user_agent=BROWSER, network="203.0.113.0/24"):
    with time_machine.travel(at, tick=False):
        return score_click_record(
            invitation=invitation,
            question=invitation.questionnaire.questions.get(key="nps"),
            score=score,
            language="en",
            source=via,
            user_agent=user_agent,
            network=network,
        )


def settle(at):
    with time_machine.travel(at, tick=False):
        return score_clicks_settle()


def verdicts(invitation):
    return [(c.score, c.verdict, c.reason) for c in m.ScoreClick.objects.filter(invitation=invitation).order_by("pk")]


def counted_score(invitation):
    response = m.Response.objects.filter(invitation=invitation).first()
    return None if response is None else response.nps_score


# --- the window ------------------------------------------------------------------------------
def test_a_link_click_counts_only_once_its_window_has_passed(email, sent):
    t = sent + timedelta(minutes=5)
    made = click(email, 8, t)

    assert (made.verdict, made.seconds_since_sent, made.provisional_until) == ("provisional", 300, t + timedelta(seconds=WINDOW))
    email.refresh_from_db()
    assert email.status == m.InvitationStatus.SENT  # not answered while provisional
    assert settle(t + timedelta(seconds=WINDOW - 1)) == 0
    assert counted_score(email) is None

    assert settle(t + timedelta(seconds=WINDOW)) == 1
    response = m.Response.objects.get(invitation=email)
    assert (response.nps_score, response.is_complete, response.started_at) == (8, False, t)
    assert verdicts(email) == [(8, "counted", "")]
    email.refresh_from_db()
    assert email.status == m.InvitationStatus.ANSWERED
    assert settle(t + timedelta(hours=1)) == 0  # idempotent


def test_a_window_of_zero_counts_a_link_click_at_once(email, sent, settings):
    settings.SCANNER_WINDOW_SECONDS = 0
    settings.SCANNER_SWEEP_SECONDS = 0
    click(email, 7, sent + timedelta(minutes=5))
    assert counted_score(email) == 7
    assert verdicts(email) == [(7, "counted", "")]


# --- different scores within seconds ------------------------------------------------------------
def test_two_different_scores_exactly_sweep_seconds_apart_are_both_set_aside(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 3, t)
    second = click(email, 9, t + timedelta(seconds=SWEEP))

    assert second.nearby_clicks == 1
    assert verdicts(email) == [(3, "set_aside", "different_scores"), (9, "set_aside", "different_scores")]
    settle(t + timedelta(hours=1))
    assert counted_score(email) is None
    email.refresh_from_db()
    assert email.status == m.InvitationStatus.SENT  # reminders still go to the person


def test_two_different_scores_one_second_further_apart_are_a_person_changing_their_mind(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 3, t)
    second = click(email, 9, t + timedelta(seconds=SWEEP + 1))

    assert second.nearby_clicks == 0
    assert verdicts(email) == [(3, "provisional", ""), (9, "provisional", "")]
    settle(t + timedelta(seconds=SWEEP + 1 + WINDOW))
    assert counted_score(email) == 9


def test_the_same_link_opened_twice_is_not_a_burst(email, sent):
    # A link checker fetching the link just before the person: same score, nothing set aside.
    t = sent + timedelta(minutes=5)
    click(email, 10, t, network="198.51.100.0/24")
    click(email, 10, t + timedelta(seconds=1))
    assert [v for _s, v, _r in verdicts(email)] == ["provisional", "provisional"]


# --- a full sweep ------------------------------------------------------------------------------
def test_every_link_opened_at_once_is_a_full_sweep_and_nothing_counts(email, sent):
    t = sent + timedelta(minutes=5)
    for score in range(11):
        click(email, score, t + timedelta(milliseconds=100 * score))

    assert {(v, r) for _s, v, r in verdicts(email)} == {("set_aside", "full_sweep")}
    settle(t + timedelta(hours=1))
    assert not m.Response.objects.exists()


def test_a_slow_sweep_of_every_link_within_the_window_is_set_aside(email, sent):
    t = sent + timedelta(minutes=5)
    step = timedelta(seconds=SWEEP + 1)  # too slow for the burst rule
    for score in range(10):
        click(email, score, t + step * score)
    assert {v for _s, v, _r in verdicts(email)} == {"provisional"}  # ten of eleven links: a person may

    click(email, 10, t + step * 10)  # the eleventh, 110 s after the first: still in its window
    assert {(v, r) for _s, v, r in verdicts(email)} == {("set_aside", "full_sweep")}


def test_a_slow_sweep_longer_than_the_window_is_not_one(email, sent):
    t = sent + timedelta(minutes=5)
    step = timedelta(seconds=WINDOW // 10 + 1)
    for score in range(11):
        click(email, score, t + step * score)
    assert "set_aside" not in {v for _s, v, _r in verdicts(email)}


# --- a known signature --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "agent, verdict",
    [(HEADLESS, "set_aside"), (HEADLESS.lower(), "set_aside"), ("Mozilla/5.0 PhantomJS/2.1", "set_aside"), (BROWSER, "provisional"), ("", "provisional")],
)
def test_a_known_scanner_user_agent_is_set_aside_alone(email, sent, agent, verdict):
    made = click(email, 9, sent + timedelta(minutes=5), user_agent=agent)
    assert made.verdict == verdict
    assert made.reason == ("signature" if verdict == "set_aside" else "")


def test_a_signature_also_sets_aside_a_choice_on_the_page(email, sent):
    made = click(email, 9, sent + timedelta(minutes=5), via="page", user_agent=HEADLESS)
    assert (made.verdict, made.reason) == ("set_aside", "signature")
    assert counted_score(email) is None


# --- too soon after sending ------------------------------------------------------------------
def test_a_link_opened_before_min_seconds_after_sending_is_set_aside(email, sent):
    early = click(email, 9, sent + timedelta(seconds=MIN_AFTER_SEND - 1))
    assert (early.verdict, early.reason, early.seconds_since_sent) == ("set_aside", "too_soon", MIN_AFTER_SEND - 1)


def test_a_link_opened_exactly_min_seconds_after_sending_is_provisional(email, sent):
    made = click(email, 9, sent + timedelta(seconds=MIN_AFTER_SEND))
    assert (made.verdict, made.reason) == ("provisional", "")


def test_seconds_since_sent_count_from_the_latest_reminder(email, sent):
    reminded = sent + timedelta(days=3)
    m.Invitation.objects.filter(pk=email.pk).update(last_sent_at=reminded)
    email.refresh_from_db()
    made = click(email, 9, reminded + timedelta(seconds=2))
    assert (made.seconds_since_sent, made.reason) == (2, "too_soon")


def test_a_burst_upgrades_a_weaker_reason_of_its_clicks(email, sent):
    click(email, 2, sent + timedelta(seconds=1))  # too soon
    click(email, 5, sent + timedelta(seconds=3))
    assert verdicts(email) == [(2, "set_aside", "different_scores"), (5, "set_aside", "different_scores")]


# --- a person after a scanner ----------------------------------------------------------------
def test_a_persons_click_a_minute_after_a_scanners_sweep_counts(email, sent):
    for score in range(11):
        click(email, score, sent + timedelta(seconds=2))
    person = click(email, 8, sent + timedelta(seconds=62), network="192.0.2.0/24")

    assert (person.verdict, person.nearby_clicks) == ("provisional", 0)
    settle(sent + timedelta(seconds=62 + WINDOW))
    assert counted_score(email) == 8
    assert m.ScoreClick.objects.filter(invitation=email, verdict="set_aside", reason="full_sweep").count() == 11


def test_a_scanner_after_a_persons_click_does_not_take_the_persons_score(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 8, t)
    later = t + timedelta(seconds=60)
    click(email, 0, later, network="192.0.2.0/24")
    click(email, 10, later + timedelta(seconds=1), network="192.0.2.0/24")

    settle(later + timedelta(hours=1))
    assert counted_score(email) == 8
    assert verdicts(email) == [(8, "counted", ""), (0, "set_aside", "different_scores"), (10, "set_aside", "different_scores")]


def test_a_full_submission_after_set_aside_clicks_counts_as_usual(email, sent, questionnaire):
    for score in (0, 5, 10):
        click(email, score, sent + timedelta(seconds=30))
    with time_machine.travel(sent + timedelta(minutes=2), tick=False):
        answers = [AnswerData(question=questionnaire.questions.get(key="nps"), number=9)]
        response_submit(invitation=email, answers=answers, language="en")

    response = m.Response.objects.get(invitation=email)
    assert (response.is_complete, response.nps_score) == (True, 9)
    assert {v for _s, v, _r in verdicts(email)} == {"set_aside"}


def test_a_full_submission_within_the_window_wins_over_the_provisional_click(email, sent, questionnaire):
    t = sent + timedelta(minutes=5)
    click(email, 3, t)
    with time_machine.travel(t + timedelta(seconds=30), tick=False):
        response_submit(
            invitation=email, answers=[AnswerData(question=questionnaire.questions.get(key="nps"), number=7)], language="en"
        )
    settle(t + timedelta(hours=1))
    response = m.Response.objects.get(invitation=email)
    assert (response.is_complete, response.nps_score) == (True, 7)
    assert verdicts(email) == [(3, "counted", "")]


# --- choices on the page -----------------------------------------------------------------------
def test_a_choice_on_the_page_counts_at_once_and_an_older_link_click_never_overwrites_it(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 3, t)
    click(email, 9, t + timedelta(seconds=2), via="page")  # a change of mind: no burst

    assert counted_score(email) == 9
    settle(t + timedelta(hours=1))
    assert counted_score(email) == 9
    assert verdicts(email) == [(3, "counted", ""), (9, "counted", "")]


def test_an_unknown_source_is_taken_as_a_choice_on_the_page(email, sent):
    made = click(email, 4, sent + timedelta(minutes=5), via="bogus")
    assert (made.source, made.verdict) == ("page", "counted")


def test_clicks_of_a_withdrawn_survey_are_closed_not_counted(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 6, t)
    m.Invitation.objects.filter(pk=email.pk).update(status=m.InvitationStatus.CANCELLED)

    settle(t + timedelta(hours=1))
    assert verdicts(email) == [(6, "closed", "")]
    assert not m.Response.objects.exists()


def test_a_click_just_before_expiry_still_counts_after_the_link_expired(email, sent):
    t = sent + timedelta(minutes=5)
    click(email, 6, t)
    m.Invitation.objects.filter(pk=email.pk).update(
        expires_at=t + timedelta(seconds=1), status=m.InvitationStatus.EXPIRED
    )
    settle(t + timedelta(hours=1))
    assert counted_score(email) == 6


# --- evidence ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("", ""),
        ("not an address", ""),
    ],
)
def test_the_client_network_is_kept_never_the_address(address, network):
    assert client_network(address) == network


def test_the_page_posts_the_evidence_and_answers_the_same_whatever_the_verdict(client, email, sent):
    with time_machine.travel(sent + timedelta(seconds=3), tick=False):
        page = client.post(
            url(email),
            {"action": "score", "via": "link", "nps": "4"},
            HTTP_ACCEPT="application/json",
            HTTP_USER_AGENT=HEADLESS + " " + "x" * 500,
            REMOTE_ADDR="203.0.113.77",
        )
    assert page.status_code == 200
    assert page.json() == {"saved": True, "message": "Thanks — your rating is saved."}
    made = m.ScoreClick.objects.get(invitation=email)
    assert (made.source, made.score, made.network, made.seconds_since_sent) == ("link", 4, "203.0.113.0/24", 3)
    assert len(made.user_agent) == 400 and made.user_agent.startswith("Mozilla/5.0")
    assert (made.verdict, made.reason) == ("set_aside", "signature")
    assert not m.Response.objects.exists()


def test_a_link_click_on_a_closed_survey_is_refused_and_stores_nothing(client, email):
    m.Invitation.objects.filter(pk=email.pk).update(status=m.InvitationStatus.CANCELLED)
    page = client.post(url(email), {"action": "score", "via": "link", "nps": "4"}, HTTP_ACCEPT="application/json")
    assert page.status_code == 410
    assert not m.ScoreClick.objects.exists()


def test_the_settle_task_runs_the_service(email, sent):
    from surveys.tasks.score_clicks import score_clicks_settle as task

    click(email, 5, sent + timedelta(minutes=5))
    with time_machine.travel(sent + timedelta(hours=1), tick=False):
        task()
    assert counted_score(email) == 5


def test_a_sweep_time_longer_than_the_window_refuses_to_start():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={**os.environ, "DEBUG": "1", "SCANNER_WINDOW_SECONDS": "5", "SCANNER_SWEEP_SECONDS": "10"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SCANNER_SWEEP_SECONDS must be between 0 and SCANNER_WINDOW_SECONDS" in result.stderr


def test_erasing_the_customer_clears_the_click_evidence_but_keeps_the_verdicts(email, sent):
    from surveys.services.customers import customer_erase

    click(email, 2, sent + timedelta(seconds=1), user_agent=HEADLESS)
    customer_erase(customer=email.customer)

    kept = m.ScoreClick.objects.get(invitation=email)
    assert (kept.user_agent, kept.network) == ("", "")
    assert (kept.verdict, kept.reason, kept.score) == ("set_aside", "signature", 2)
