"""The weekly digest: who gets it, what it says, and that a week is sent once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache

from surveys.reports.digest import digest_send_weekly
from surveys.tasks.digests import reports_send_weekly_digest
from tests.factories import UserFactory
from tests.reports.conftest import START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_managers_get_last_weeks_figures_with_change_and_link(manager, designer, agent_user):
    today = START + timedelta(days=7)
    for score in (10, 9, 9, 10, 3):
        day = at(START + timedelta(days=2))
        response(ticket(day), day, nps=score, csat=5)
    assert digest_send_weekly(today=today) == 1
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert "2026-03-02 to 2026-03-08" in message.subject
    assert "NPS: 60 ± " in message.body and "(n = 5)" in message.body
    assert "/reports/?start=2026-03-02&end=2026-03-09" in message.body
    assert "<a href=" in message.alternatives[0][0]


def test_a_week_is_sent_once_even_if_the_task_runs_twice(manager):
    today = START + timedelta(days=7)
    assert digest_send_weekly(today=today) == 1
    assert digest_send_weekly(today=today) == 0
    assert len(mail.outbox) == 1


def test_superusers_get_it_and_users_without_email_do_not(roles):
    UserFactory(username="root", is_superuser=True, email="root@example.com")
    UserFactory(username="silent", is_superuser=True, email="")
    reports_send_weekly_digest()
    assert [m.to for m in mail.outbox] == [["root@example.com"]]
