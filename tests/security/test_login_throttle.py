"""Failed staff logins are throttled (django-axes): the right password is refused once locked."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")


@pytest.fixture
def staff(db):
    user = UserFactory(username="lead")
    user.set_password("the-right-password-1")
    user.save()
    return user


def attempt(client, password, *, username="lead", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, staff):
    for _ in range(30):
        attempt(client, "wrong")

    response = attempt(client, "the-right-password-1")

    assert response.status_code == 429
    assert not logged_in(client)


def test_fewer_failures_than_the_limit_then_the_right_one_logs_in(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong")

    response = attempt(client, "the-right-password-1")

    assert response.status_code == 302
    assert logged_in(client)


def test_the_username_stays_locked_from_another_address(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", REMOTE_ADDR="203.0.113.5")

    response = attempt(client, "the-right-password-1", REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 429
    assert not logged_in(client)


def test_the_lock_lifts_after_the_cool_off(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = attempt(client, "the-right-password-1")

    assert response.status_code == 302
    assert logged_in(client)


def test_behind_a_trusted_proxy_each_client_counts_for_itself(client, settings, staff):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    other = UserFactory(username="second")
    other.set_password("another-right-password-2")
    other.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    response = attempt(
        client,
        "another-right-password-2",
        username="second",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert response.status_code == 302  # the proxy's own address was not locked
