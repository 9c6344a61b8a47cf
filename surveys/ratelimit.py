"""Fixed-window rate limits in the shared cache, so they hold across web processes.

The client's address is REMOTE_ADDR, unless the request comes from one of
settings.TRUSTED_PROXIES (addresses or networks); then the right-most X-Forwarded-For entry
not itself a trusted proxy is the client. Anything left of that can be forged by the client.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

# (requests, window in seconds). A customer needs a handful of submits: one, or two after a
# validation error. Score saves (the page script saves the first scale's answer on its own)
# count in scopes of their own, so changing one's mind about the score never spends the
# allowance of the Send button; the script saves a score once per deliberate choice, not per
# arrow key, so 30 in ten minutes is generous for a person and still bounds a script.
DEFAULT_LIMITS = {
    "survey-token": (20, 600),
    "survey-ip": (120, 60),
    "survey-score-token": (30, 600),
    "survey-score-ip": (120, 60),
}
# (per token, per client address) for each kind of post.
SUBMIT_SCOPES = ("survey-token", "survey-ip")
SCORE_SCOPES = ("survey-score-token", "survey-score-ip")


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The client's IP address, reading X-Forwarded-For only behind a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote
    return remote


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "SURVEY_RATE_LIMITS", {})}


def _counter_key(scope: str, key: str, window: int, now: float) -> str:
    bucket = int(now // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"rl:{scope}:{bucket}:{digest}"


def _hit(cache_key: str, window: int) -> int:
    """One hit on a counter through the plain cache API (two round trips at most)."""
    # add() creates the counter atomically with its expiry; incr() is atomic in Redis.
    if cache.add(cache_key, 1, window + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:
        # Expired between add() and incr(): this hit opens the next window.
        cache.add(cache_key, 1, window + 1)
        return 1


def rate_limits_exceeded(hits: list[tuple[str, str]]) -> list[bool]:
    """Count one hit for each ``(scope, key)``; True for each whose limit for the window is passed.

    Every counter counts, even once one is over: a blocked address cannot spend another
    token's allowance freely. On Redis all of them take one round trip.
    """
    return _count(hits, time.time())


def _count(hits: list[tuple[str, str]], now: float) -> list[bool]:
    table = limits()
    counters = [(_counter_key(scope, key, table[scope][1], now), table[scope][1] + 1) for scope, key in hits]
    if hasattr(cache, "hit_counters"):
        # The Redis backend fails open: every count is 0 while Redis is unreachable.
        counts = cache.hit_counters(counters)
    else:
        counts = [_hit(cache_key, ttl - 1) for cache_key, ttl in counters]
    return [count > table[scope][0] for (scope, _key), count in zip(hits, counts, strict=True)]


def retry_after_seconds(hits: list[tuple[str, str]]) -> int | None:
    """Count the hits as ``rate_limits_exceeded`` does; None when none is over its limit, else
    the whole seconds until the last exceeded window ends (what ``Retry-After`` should say)."""
    now = time.time()
    table = limits()
    waits = [
        math.ceil(table[scope][1] - now % table[scope][1])
        for (scope, _key), exceeded in zip(hits, _count(hits, now), strict=True)
        if exceeded
    ]
    return max(1, *waits) if waits else None


def rate_limit_exceeded(*, scope: str, key: str) -> bool:
    """Count one hit for ``key`` in ``scope``; True once the scope's limit for the window is passed."""
    return rate_limits_exceeded([(scope, key)])[0]
