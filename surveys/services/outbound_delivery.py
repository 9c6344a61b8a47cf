"""Sending one outbound event delivery: claim the row, POST the signed body once, settle.

A worker claims a row with one conditional UPDATE (pending and due, or delivering with its
lease run out), which also counts the attempt, so two workers never send one row at once and
a worker that died mid-send costs one attempt, not a lost event. Answers are sorted:

- 2xx: delivered.
- A network error, a timeout, 408, 429 or 5xx: transient; retried after
  ``retry_delay(attempts)`` until ``OUTBOUND_MAX_ATTEMPTS``, then ``gave_up``.
- Any other 4xx, a redirect (never followed), a non-http(s) URL or a refused address:
  ``failed`` at once, no retry.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from ..ingest.signing import signature_make
from ..models import COMMENT, Answer, Response, WebhookDelivery, WebhookDeliveryStatus
from ..models.outbound import LAST_ERROR_MAX, OPEN_DELIVERY_STATUSES
from ..transient import http_status_is_transient

logger = logging.getLogger(__name__)
Status = WebhookDeliveryStatus
USER_AGENT = "surveys-outbound/1"
# How long a claimed row is left to its worker before the sweep may claim it again: longer
# than the task's hard time limit (tasks/outbound.py).
LEASE_SECONDS = 120
# The sweep leaves a due row this long to the message enqueued for it before sending another.
SWEEP_GRACE_SECONDS = 60


class DeliveryRefused(Exception):
    """Retrying cannot help: recorded as ``failed`` with this message."""


@dataclass(frozen=True)
class Outcome:
    status: str
    status_code: int | None = None
    error: str = ""
    retry_in: float | None = None  # seconds until the next try, for a transient failure


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: base × 3^(attempts − 1), capped."""
    base = settings.OUTBOUND_RETRY_BASE_SECONDS
    return min(base * 3 ** max(attempts - 1, 0), settings.OUTBOUND_RETRY_MAX_SECONDS)


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_check(url: str) -> None:
    """Raise DeliveryRefused unless ``url`` is http(s) with a host that, unless
    ``OUTBOUND_ALLOW_PRIVATE``, resolves only to public addresses (no loopback, private,
    link-local, reserved or multicast address: a subscription must not reach the internal
    network)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DeliveryRefused("not an http(s) URL")
    if settings.OUTBOUND_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionError(f"cannot resolve {parts.hostname}: {exc}") from exc
    if any(_address_refused(info[4][0]) for info in infos):
        raise DeliveryRefused(
            f"{parts.hostname} resolves to a private or reserved address (OUTBOUND_ALLOW_PRIVATE)"
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx answer


_OPENER = urllib.request.build_opener(_NoRedirect)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The bytes sent: the stored payload, plus the response's free-text answers when the
    subscription includes comments (read now, so erasure and retention apply)."""
    payload = delivery.payload
    response_id = (payload.get("data") or {}).get("response", {}).get("id")
    if delivery.subscription.include_comments and response_id:
        texts = Answer.objects.filter(COMMENT, response_id=response_id)
        comments = [
            {"question": key, "text": text} for key, text in texts.values_list("question__key", "text")
        ]
        payload = {**payload, "data": {**payload["data"], "comments": comments}}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _erased(delivery: WebhookDelivery) -> bool:
    response_id = (delivery.payload.get("data") or {}).get("response", {}).get("id")
    return bool(
        response_id
        and Response.objects.filter(pk=response_id, invitation__customer__erased_at__isnull=False).exists()
    )


def delivery_headers(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    """Signed exactly as our own webhook is verified (surveys/ingest/signing.py)."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Surveys-Timestamp": str(timestamp),
        "X-Surveys-Signature": signature_make(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
        "X-Surveys-Event": delivery.event_type,
        "X-Surveys-Event-Id": delivery.event_id,
        "X-Surveys-Delivery": str(delivery.pk),
    }


def _answer_excerpt(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(200).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""


def delivery_attempt(delivery: WebhookDelivery) -> Outcome:
    """POST the delivery once (no database writes) and say how it went."""
    if _erased(delivery):
        return Outcome(Status.FAILED, error="not sent: the customer was erased")
    url = delivery.subscription.url
    try:
        url_check(url)
        body = delivery_body(delivery)
        headers = delivery_headers(delivery, body, int(time.time()))
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - url_check
        with _OPENER.open(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as answer:
            answer.read(1024)
            return Outcome(Status.DELIVERED, status_code=answer.status)
    except DeliveryRefused as exc:
        return Outcome(Status.FAILED, error=str(exc))
    except urllib.error.HTTPError as exc:
        excerpt = _answer_excerpt(exc)
        error = f"HTTP {exc.code}" + (f": {excerpt}" if excerpt else "")
        if 300 <= exc.code < 400:
            error = f"HTTP {exc.code} redirect to {exc.headers.get('Location', '?')} (not followed)"
            return Outcome(Status.FAILED, status_code=exc.code, error=error)
        if http_status_is_transient(exc.code):
            return Outcome(Status.PENDING, status_code=exc.code, error=error)
        return Outcome(Status.FAILED, status_code=exc.code, error=error)
    except ValueError as exc:  # a URL urllib cannot use (bad port, control characters)
        return Outcome(Status.FAILED, error=f"unusable URL: {exc}")
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        # Refused or reset connections, DNS failures, timeouts (socket.timeout is an OSError).
        reason = getattr(exc, "reason", None) or exc
        return Outcome(
            Status.PENDING, error=f"{type(exc).__name__}: {reason}" if str(reason) else type(exc).__name__
        )


def delivery_claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Claim one open, due row for this worker (counting the attempt), or None when it is not
    due, settled, or another worker holds it."""
    won = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=OPEN_DELIVERY_STATUSES, next_attempt_at__lte=now
    ).update(
        status=Status.DELIVERING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=LEASE_SECONDS),
        updated_at=now,
    )
    if won != 1:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def _settle(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> Outcome:
    changes = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:LAST_ERROR_MAX],
        "updated_at": now,
    }
    if outcome.status == Status.PENDING:
        if delivery.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
            outcome = Outcome(Status.GAVE_UP, outcome.status_code, outcome.error)
            changes.update(status=Status.GAVE_UP, next_attempt_at=None)
        else:
            delay = retry_delay(delivery.attempts)
            outcome = Outcome(Status.PENDING, outcome.status_code, outcome.error, retry_in=delay)
            changes.update(status=Status.PENDING, next_attempt_at=now + timedelta(seconds=delay))
    else:
        changes.update(status=outcome.status, next_attempt_at=None)
        if outcome.status == Status.DELIVERED:
            changes["delivered_at"] = now
    # Only while the claim is still ours (a lease run out and claimed again counts an attempt).
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=Status.DELIVERING, attempts=delivery.attempts
    ).update(**changes)
    return outcome


def outbound_delivery_send(*, delivery_id: int) -> Outcome | None:
    """Claim the delivery, try it once, and record the outcome. Returns it (its ``retry_in``
    says when a transient failure is due again), or None when the row was not claimable.
    Call outside any transaction: the claim must be committed before the POST."""
    delivery = delivery_claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    outcome = delivery_attempt(delivery)
    if outcome.status != Status.DELIVERED:
        logger.info("outbound delivery %s attempt %s: %s", delivery.pk, delivery.attempts, outcome.error)
    return _settle(delivery, outcome, timezone.now())


def outbound_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Open deliveries the sweep sends again: pending ones due for at least
    SWEEP_GRACE_SECONDS (their message was lost, or their retry is too far off for a
    countdown) and delivering ones whose worker's lease ran out. Oldest first."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=SWEEP_GRACE_SECONDS)
    due = Q(status=Status.PENDING, next_attempt_at__lte=stale) | Q(
        status=Status.DELIVERING, next_attempt_at__lte=now
    )
    rows = WebhookDelivery.objects.filter(due).order_by("next_attempt_at")
    return list(rows.values_list("pk", flat=True)[:limit])
