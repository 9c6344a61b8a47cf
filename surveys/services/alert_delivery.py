"""Delivering one copy of an alert: an email to one address, or a POST to one incoming webhook.

Errors are sorted into transient (worth a retry: a 5xx or 429 answer, a refused or dropped
connection, a timeout, SMTP disconnects) and permanent (any other 4xx, a refused address).
A permanent error marks the delivery failed at once; a transient one is recorded and raised
as ``DeliveryTransientError`` for the task to retry with backoff, until
``ALERT_DELIVERY_MAX_ATTEMPTS`` tries, after which the delivery is failed.
"""

from __future__ import annotations

import logging
import smtplib
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from ..alert_messages import webhook_body
from ..models import AlertDelivery, DeliveryChannel, DeliveryStatus
from ..transient import NETWORK_ERRORS, http_status_is_transient

logger = logging.getLogger(__name__)
_ERROR_MAX = 1000


class DeliveryTransientError(Exception):
    """A delivery failed in a way a later try may not; the task retries it."""


class DeliveryPermanentError(Exception):
    """A delivery the destination refused; retrying would not help."""


def _post(url: str, data: bytes) -> None:
    # The admin form accepts only http(s) URLs; this guards rows written any other way.
    if not url.lower().startswith(("http://", "https://")):
        raise DeliveryPermanentError("not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ALERT_WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} from the webhook"
        if http_status_is_transient(exc.code):
            raise DeliveryTransientError(reason) from exc
        raise DeliveryPermanentError(reason) from exc


def _send(delivery: AlertDelivery) -> None:
    log = delivery.log
    if delivery.channel == DeliveryChannel.WEBHOOK:
        _post(delivery.destination, webhook_body(subject=log.subject, body=log.body))
        return
    try:
        EmailMessage(subject=log.subject, body=log.body, to=[delivery.destination]).send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        raise DeliveryPermanentError(f"the mail server refused it: {exc}") from exc


def _settle(delivery: AlertDelivery, **changes) -> None:
    AlertDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(**changes)


def alert_delivery_send(*, delivery_id: int) -> str | None:
    """Try one pending delivery once. Returns its new status (sent, failed, or pending when
    ``DeliveryTransientError`` is raised for a retry), or None when it is gone or no longer
    pending (a re-delivered task). Must be called outside any transaction."""
    delivery = AlertDelivery.objects.select_related("log").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    AlertDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    attempts = delivery.attempts + 1
    try:
        _send(delivery)
    except DeliveryPermanentError as exc:
        _settle(delivery, status=DeliveryStatus.FAILED, last_error=str(exc)[:_ERROR_MAX])
        return DeliveryStatus.FAILED
    except (DeliveryTransientError, *NETWORK_ERRORS) as exc:
        error = str(exc)[:_ERROR_MAX] or type(exc).__name__
        if attempts >= settings.ALERT_DELIVERY_MAX_ATTEMPTS:
            logger.warning("alert delivery %s: giving up after %s attempts: %s", delivery.pk, attempts, error)
            _settle(delivery, status=DeliveryStatus.FAILED, last_error=f"gave up after {attempts} attempts: {error}")
            return DeliveryStatus.FAILED
        _settle(delivery, last_error=error)
        raise DeliveryTransientError(error) from exc
    _settle(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return DeliveryStatus.SENT
