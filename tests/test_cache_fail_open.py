"""The Redis cache backend fails open: with nothing listening on its port, caching operations
miss or do nothing, rate limits count nothing, claims still raise, one warning is logged, and
the socket is not tried again until the retry window has passed. No Redis server is needed."""

import logging
import time
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from surveys.cache import CacheUnavailable, RedisCache
from tests.sending.smtp_sink import free_port


def dead_backend(**options) -> RedisCache:
    # free_port() binds and closes: nothing listens there, so connecting is refused at once.
    location = f"redis://127.0.0.1:{free_port()}/0"
    return RedisCache(
        location,
        {"KEY_PREFIX": uuid.uuid4().hex, "OPTIONS": {"socket_connect_timeout": 0.25, **options}},
    )


def test_caching_operations_miss_or_do_nothing_when_redis_is_unreachable():
    cache = dead_backend()

    cache.set("k", 1)
    cache.set_many({"a": 1, "b": 2})
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    assert cache.hit_counters([("rl:a", 60), ("rl:b", 60)]) == [0, 0]


def test_claims_still_raise_when_redis_is_unreachable():
    """add() is how alerts and digests claim their send: "Redis is down" must not read as
    "already sent" (False) nor as "go ahead" (True)."""
    cache = dead_backend()
    with pytest.raises(RedisConnectionError):
        cache.add("claim", 1)
    with pytest.raises(CacheUnavailable):
        cache.ping()


def test_one_warning_per_log_window_and_no_socket_until_the_retry_window(caplog, monkeypatch):
    cache = dead_backend(FAIL_OPEN_RETRY_SECONDS=0.3, FAIL_OPEN_LOG_SECONDS=60)
    tries = []
    client = cache._cache.get_client()
    original = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        tries.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(client.connection_pool, "get_connection", counting)
    with caplog.at_level(logging.WARNING, logger="surveys.cache"):
        started = time.monotonic()
        for _ in range(200):
            cache.get("k")
        elapsed = time.monotonic() - started
        assert len(tries) == 1  # the first failure opens the retry window
        assert cache.is_down()
        time.sleep(0.35)
        cache.get("k")
        assert len(tries) == 2  # tried again once the window passed, failed again

    warnings = [r for r in caplog.records if r.name == "surveys.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "failing open" in warnings[0].getMessage()
    assert elapsed < 0.5  # 200 reads against a dead Redis cost milliseconds


def test_backends_of_one_server_share_what_they_know_of_it():
    """Django builds one backend per thread; the outage is known to all of them."""
    location = f"redis://127.0.0.1:{free_port()}/0"
    first, second = (RedisCache(location, {"OPTIONS": {}}) for _ in range(2))

    first.get("k")

    assert second.is_down()


@pytest.mark.redis
def test_a_reachable_redis_ends_the_outage(settings, caplog):
    cache = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": uuid.uuid4().hex})
    cache._outage.down_until = time.monotonic() - 1  # a past outage whose window has passed

    with caplog.at_level(logging.WARNING, logger="surveys.cache"):
        cache.set("k", 1)

    assert cache.get("k") == 1 and not cache.is_down()
    assert "reachable again" in caplog.text
    cache.delete("k")
