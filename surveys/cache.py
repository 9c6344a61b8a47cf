"""The Redis cache backend: reused clients, batched rate-limit counters, and failing open.

Django's RedisCache builds a new ``redis.Redis`` object for every operation (copying its table
of response callbacks each time, ~0.1 ms); this one keeps one client per connection pool, which
redis-py makes safe to share between threads. It also counts several rate-limit hits in one
round trip (``hit_counters``).

Redis only helps here (README, "Reliability"): nothing in it must survive, so a customer must
never wait on it or get an error because of it. While Redis cannot be reached, the caching
operations fail open: ``get`` misses, ``set``, ``delete`` and ``clear`` do nothing, ``hit_counters``
counts nothing (no rate limit). One warning per ``FAIL_OPEN_LOG_SECONDS`` says so, not one
per request. After a failure the backend does not touch the socket again for
``FAIL_OPEN_RETRY_SECONDS``, so an unreachable Redis costs one connect timeout every few
seconds, not one per request.

``add`` and ``incr`` still raise: their callers use them as claims (an alert or a digest sent
once) and must not take "Redis is down" for "already done" or "go ahead".
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What "Redis is out of reach" looks like from redis-py (refused, reset, DNS, timeouts,
# a server still loading its data). A wrong command or a full memory is a bug or a real
# problem, and still raises.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients.setdefault(index, self._client(connection_pool=self._get_connection_pool(index)))
        return client


class _Outage:
    """What a process knows of one Redis server's reachability. Django builds a backend per
    thread, so this lives outside it: one warning and one retry clock per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.last_log = float("-inf")
        self.failures = 0  # since the last warning


_OUTAGES: dict[str, _Outage] = {}
_OUTAGES_LOCK = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _OUTAGES_LOCK:
        return _OUTAGES.setdefault(location, _Outage())


class CacheUnavailable(Exception):
    """Redis did not answer (raised by ``ping``, for the health check)."""


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # Ours, not redis-py's: everything else in OPTIONS goes to the connection pool.
        self.retry_seconds = float(options.pop("FAIL_OPEN_RETRY_SECONDS", 5.0))
        self.log_seconds = float(options.pop("FAIL_OPEN_LOG_SECONDS", 60.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ReusingClient
        self._outage = _outage_for(",".join(self._servers))

    # --- failing open --------------------------------------------------------------------
    def is_down(self) -> bool:
        """True while a recent failure makes the backend skip Redis."""
        return time.monotonic() < self._outage.down_until

    def _unreachable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        outage = self._outage
        with outage.lock:
            outage.down_until = now + self.retry_seconds
            outage.failures += 1
            if now - outage.last_log < self.log_seconds:
                return
            failures, outage.failures, outage.last_log = outage.failures, 0, now
        logger.warning(
            "Redis cache unreachable (%s: %s); failing open: no caching, no rate limits. "
            "%s failures since the last warning; next try in %.1fs.",
            operation,
            exc,
            failures,
            self.retry_seconds,
        )

    def _call(self, operation: str, fallback, method, *args, **kwargs):
        if self.is_down():
            return fallback
        try:
            result = method(*args, **kwargs)
        except UNREACHABLE as exc:
            self._unreachable(operation, exc)
            return fallback
        self._reachable()
        return result

    def _reachable(self) -> None:
        if self._outage.down_until:
            with self._outage.lock:
                was_down, self._outage.down_until = self._outage.down_until, 0.0
            if was_down:
                logger.warning("Redis cache reachable again.")

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that failed to be inserted.
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", False, super().clear)

    def ping(self) -> None:
        """Ask Redis itself, whatever the fail-open state; raises CacheUnavailable."""
        try:
            self._cache.get_client().ping()
        except UNREACHABLE as exc:
            self._unreachable("ping", exc)
            raise CacheUnavailable(str(exc)) from exc
        self._reachable()

    # --- rate-limit counters -------------------------------------------------------------
    def hit_counters(self, hits: list[tuple[str, int]]) -> list[int]:
        """Add one to each counter, giving a new one ``ttl`` seconds to live; their new values.

        One pipeline, so one round trip whatever the number of counters. INCR is atomic and
        EXPIRE NX leaves a running window's expiry alone. Without Redis every count is 0:
        a rate limit must not turn a cache outage into refused customers.
        """
        return self._call("hit_counters", [0] * len(hits), self._hit_counters, hits)

    def _hit_counters(self, hits: list[tuple[str, int]]) -> list[int]:
        keys = [(self.make_and_validate_key(key), ttl) for key, ttl in hits]
        pipe = self._cache.get_client(write=True).pipeline(transaction=False)
        for key, ttl in keys:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
        replies = pipe.execute()
        return [int(count) for count in replies[0::2]]
