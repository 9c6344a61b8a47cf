"""Rate limits on survey posts: per token and per client IP, X-Forwarded-For only from proxies."""

import logging
import time

import pytest
from django.test import RequestFactory

from surveys import models as m
from surveys.ratelimit import client_ip, rate_limit_exceeded, rate_limits_exceeded, retry_after_seconds
from tests.factories import InvitationFactory
from tests.sending.smtp_sink import free_port
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db


def request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_forwarded_for_is_ignored_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_forwarded_for_is_read_right_to_left_behind_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]

    # The client forged the left-most entry; the proxies appended the real address.
    forged = request("10.1.2.3", "1.2.3.4, 198.51.100.1, 192.0.2.7")
    assert client_ip(forged) == "198.51.100.1"
    assert client_ip(request("10.1.2.3", "not-an-ip")) == "10.1.2.3"
    assert client_ip(request("10.1.2.3")) == "10.1.2.3"


def test_counter_allows_the_limit_then_refuses(settings):
    settings.SURVEY_RATE_LIMITS = {"survey-token": (3, 60)}

    results = [rate_limit_exceeded(scope="survey-token", key="abc") for _ in range(5)]

    assert results == [False, False, False, True, True]
    assert rate_limit_exceeded(scope="survey-token", key="other") is False


# 1_800_000_000 is a multiple of 600 and of 60: the windows start there.
WINDOW_START = 1_800_000_000.0


def test_too_many_submits_for_one_token_get_a_friendly_429_and_write_nothing(
    client, invitation, settings, monkeypatch
):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 338.2)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (2, 600)}
    for _ in range(2):
        assert client.post(url(invitation), {"csat": "9"}).status_code == 400  # invalid: nothing stored

    page = client.post(url(invitation), {"nps": "9"})

    assert page.status_code == 429
    assert page["Retry-After"] == "262"  # the token's 600 s window ends in 261.8 s
    assert "Please send it again in 5 minutes." in page.content.decode()
    assert not m.Response.objects.exists()
    assert client.get(url(invitation)).status_code == 200  # reading is never limited


def test_score_saves_count_in_their_own_scope_and_never_spend_the_submit_allowance(
    client, invitation, settings, monkeypatch
):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 10.0)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600), "survey-score-token": (3, 600)}
    saves = [
        client.post(
            url(invitation), {"action": "score", "via": "page", "nps": str(n)}, HTTP_ACCEPT="application/json"
        )
        for n in range(4)
    ]

    assert [page.status_code for page in saves] == [200, 200, 200, 429]
    assert saves[-1]["Retry-After"] == "590"
    assert saves[-1].json()["retry_after"] == 590
    assert "saved with your answers when you send them" in saves[-1].json()["message"]
    # The one submit the token allows still goes through after all those score saves…
    assert client.post(url(invitation), {"nps": "9"}).status_code == 303
    assert m.Response.objects.get().is_complete is True


def test_a_submit_refusal_leaves_score_saves_alone(client, invitation, settings, monkeypatch):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 10.0)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600)}
    client.post(url(invitation), {"csat": "9"})
    assert client.post(url(invitation), {"csat": "9"}).status_code == 429

    save = client.post(
        url(invitation), {"action": "score", "via": "page", "nps": "4"}, HTTP_ACCEPT="application/json"
    )

    assert save.status_code == 200 and save.json()["saved"] is True


def test_one_address_posting_to_many_tokens_is_limited(client, campaign, settings):
    settings.SURVEY_RATE_LIMITS = {"survey-ip": (2, 60)}
    invitations = [InvitationFactory(campaign=campaign) for _ in range(3)]

    codes = [client.post(url(i), {"nps": "9"}, REMOTE_ADDR="198.51.100.5").status_code for i in invitations]

    assert codes == [303, 303, 429]
    assert client.post(url(invitations[2]), {"nps": "9"}, REMOTE_ADDR="198.51.100.6").status_code == 303


@pytest.mark.redis
def test_redis_backend_counts_several_limits_in_one_round_trip(settings):
    import uuid

    from surveys.cache import RedisCache

    backend = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client() is client  # one client, not one per call

    sent = []
    original = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        sent.append(1)
        return original(*args, **kwargs)

    client.connection_pool.get_connection = counting
    try:
        counts = [backend.hit_counters([("a", 30), ("b", 30)]) for _ in range(3)]
    finally:
        client.connection_pool.get_connection = original

    assert counts == [[1, 1], [2, 2], [3, 3]]
    assert len(sent) == 3  # one connection checkout (one round trip) per call
    assert 0 < client.ttl(backend.make_key("a")) <= 30
    assert backend.get("a") == 3  # the plain cache API reads the same counter
    backend.delete_many(["a", "b"])


@pytest.mark.redis
def test_rate_limits_on_redis_refuse_past_the_limit(settings, monkeypatch):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: 1_800_000_000.0)  # one window
    settings.CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-{__import__('uuid').uuid4().hex}",
        }
    }
    settings.SURVEY_RATE_LIMITS = {"survey-token": (2, 60), "survey-ip": (3, 60)}
    from surveys.ratelimit import rate_limits_exceeded

    results = [rate_limits_exceeded([("survey-token", "t1"), ("survey-ip", "1.2.3.4")]) for _ in range(4)]

    assert results == [[False, False], [False, False], [True, False], [True, True]]


def test_the_json_429_says_when_to_retry_the_longest_exceeded_window(
    client, invitation, settings, monkeypatch
):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 50.0)
    settings.SURVEY_RATE_LIMITS = {"survey-score-token": (1, 600), "survey-score-ip": (1, 60)}
    post = {"action": "score", "nps": "3"}
    assert client.post(url(invitation), post, HTTP_ACCEPT="application/json").status_code == 200

    page = client.post(url(invitation), post, HTTP_ACCEPT="application/json")

    assert page.status_code == 429
    assert page.json()["state"] == "rate_limited" and page.json()["saved"] is False
    assert page["Retry-After"] == "550"  # both are over; the token's window ends last


def test_retry_after_is_none_under_the_limit_and_at_least_one_second(settings, monkeypatch):
    settings.SURVEY_RATE_LIMITS = {"survey-ip": (1, 60)}
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 59.99)

    assert retry_after_seconds([("survey-ip", "a")]) is None
    assert retry_after_seconds([("survey-ip", "a")]) == 1


def unreachable_redis(settings):
    # free_port() binds and closes: nothing listens there, so connecting is refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }


def test_rate_limits_fail_open_with_one_warning_when_redis_is_unreachable(settings, caplog):
    unreachable_redis(settings)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600)}

    with caplog.at_level(logging.WARNING, logger="surveys.cache"):
        results = [
            rate_limits_exceeded([("survey-token", "t"), ("survey-ip", "198.51.100.1")]) for _ in range(50)
        ]

    assert results == [[False, False]] * 50
    assert len([r for r in caplog.records if r.name == "surveys.cache"]) == 1


def test_answers_are_stored_when_the_rate_limiter_cannot_reach_redis(client, campaign, settings):
    unreachable_redis(settings)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600)}
    scored, submitted = InvitationFactory(campaign=campaign), InvitationFactory(campaign=campaign)

    started = time.monotonic()
    for score in ("3", "4", "5"):  # past the limit: nothing counts while Redis is away
        page = client.post(url(scored), {"action": "score", "nps": score}, HTTP_ACCEPT="application/json")
        assert (page.status_code, page.json()["saved"]) == (200, True)
    page = client.post(url(submitted), {"nps": "9", "csat": "5"})
    elapsed = time.monotonic() - started

    assert page.status_code == 303
    assert m.Response.objects.get(invitation=scored).nps_score == 5
    assert m.Response.objects.get(invitation=submitted).is_complete
    assert elapsed < 2.0
