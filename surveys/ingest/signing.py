"""HMAC signatures of webhook calls: ``sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``."""

import hashlib
import hmac
import time

from django.utils.translation import gettext_lazy as _

from ..bounds import TIMESTAMP_HEADER_MAX_DIGITS

SIGNATURE_PREFIX = "sha256="
# A captured request replayed later than this is refused, whatever its signature.
MAX_CLOCK_SKEW_SECONDS = 300


class SignatureInvalid(Exception):
    """The call is not from someone who holds the secret, or is too old to trust."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class TimestampMalformed(ValueError):
    """``X-Surveys-Timestamp`` is not a Unix time at all: a broken sender, not a forger (400)."""

    header = "X-Surveys-Timestamp"

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def signature_make(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The header value a sender puts in ``X-Surveys-Signature`` for this body and timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_verify(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Raise SignatureInvalid unless ``signature`` is the HMAC of ``timestamp.body`` and the
    timestamp is within MAX_CLOCK_SKEW_SECONDS of ``now`` (either side). An empty secret
    refuses every call, so a deployment that forgot to set one accepts nothing. Raise
    TimestampMalformed when the timestamp is not 1 to 12 ASCII digits (checked before it is
    parsed: a 400-digit number once overflowed the float comparison)."""
    if not secret:
        raise SignatureInvalid(_("Webhooks are disabled: the server has no WEBHOOK_SECRET."))
    if not timestamp or not signature:
        raise SignatureInvalid(_("Missing X-Surveys-Timestamp or X-Surveys-Signature header."))
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_HEADER_MAX_DIGITS):
        raise TimestampMalformed(
            _("X-Surveys-Timestamp must be a whole number of Unix seconds (1 to %(max)d digits).")
            % {"max": TIMESTAMP_HEADER_MAX_DIGITS}
        )
    sent_at = int(timestamp)
    now = time.time() if now is None else now
    if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureInvalid(_("X-Surveys-Timestamp is more than 300 seconds from the server's clock."))
    expected = signature_make(secret=secret, timestamp=timestamp, body=body)
    # compare_digest: the time taken must not tell an attacker how many characters matched.
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureInvalid(_("The signature does not match the body."))
