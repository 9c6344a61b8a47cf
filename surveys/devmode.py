"""Development settings must not leak into a deployment (docs/deploy.md).

Every process started with DEBUG on says so once in its log (web, worker, beat, and any
manage.py command), and the development webhook secret is honoured only for a client on this
machine that came through no proxy.
"""

import ipaddress
import logging
import os
import sys

from django.conf import settings

logger = logging.getLogger("surveys.devmode")
_announced_in: int | None = None  # the pid that logged; a forked child logs for itself

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def debug_announce() -> bool:
    """Log one warning line if DEBUG is on, at most once per process; True if it logged."""
    global _announced_in
    if not settings.DEBUG or _announced_in == os.getpid():
        return False
    _announced_in = os.getpid()
    logger.warning(
        "DEBUG is on in this process (pid %s: %s): development settings, never for a deployment",
        os.getpid(),
        " ".join(os.path.basename(arg) for arg in sys.argv[:4]),
    )
    return True


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def dev_secret_refused(request) -> bool:
    """True when the configured webhook secret is the development one and the caller is not a
    loopback client: such a call is refused whatever its signature. A proxy on this machine
    would make every client look local, so a forwarded request is never taken as local."""
    if not settings.WEBHOOK_SECRET or settings.WEBHOOK_SECRET != settings.DEV_WEBHOOK_SECRET:
        return False
    if any(request.META.get(header) for header in FORWARDING_HEADERS):
        return True
    return not _is_loopback(request.META.get("REMOTE_ADDR", ""))
