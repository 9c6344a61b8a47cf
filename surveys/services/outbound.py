"""Outbound events: record one event for every active subscription to it, in the caller's
transaction, and hand each delivery to a worker once that transaction commits.

The payload written here holds ids, codes, dates and scores, never a customer's address,
name or words: free-text answers are added when the delivery is sent, and only for a
subscription that asked for them (``outbound_delivery.delivery_body``), so erasure and
retention, which blank ``Answer.text``, reach what is sent later too. An event about an
erased customer is not recorded (docs/api.md, "Outbound events"; docs/privacy.md).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..models import (
    AlertLog,
    AlertLogKind,
    FollowUp,
    OutboundEvent,
    Response,
    WebhookDelivery,
    WebhookSubscription,
)
from ..models.outbound import new_secret

logger = logging.getLogger(__name__)


def _at(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _response_data(response: Response) -> dict:
    invitation = response.invitation
    ticket = invitation.ticket
    return {
        "response": {
            "id": response.pk,
            "started_at": _at(response.started_at),
            "submitted_at": _at(response.submitted_at),
            "is_complete": response.is_complete,
            "is_complaint": response.is_complaint,
            "language": response.language,
            "nps_score": response.nps_score,
            "csat_score": response.csat_score,
            "ces_score": response.ces_score,
        },
        "campaign": {"id": invitation.campaign_id, "name": invitation.campaign.name},
        "ticket": {
            "id": ticket.pk,
            "source": ticket.source,
            "external_id": ticket.external_id,
            "reference": ticket.reference,
            "priority": ticket.priority,
            "category": ticket.category,
            "channel": ticket.channel,
            "agent_id": ticket.agent_id,
            "team_id": ticket.team_id,
        },
    }


def _followup_data(followup: FollowUp) -> dict:
    return {
        "followup": {
            "id": followup.pk,
            "reason": followup.reason,
            "status": followup.status,
            "outcome": followup.outcome,
            "opened_at": _at(followup.created_at),
            "due_at": _at(followup.due_at),
            "first_contact_at": _at(followup.first_contact_at),
            "closed_at": _at(followup.closed_at),
        },
        **_response_data(followup.response),
    }


def _alert_data(log: AlertLog) -> dict:
    rule = log.rule
    return {
        "alert": {
            "id": log.pk,
            "rule": {"id": rule.pk, "name": rule.name, "metric": rule.metric, "check": rule.check_kind},
            "fired_at": _at(log.fired_at),
            "figure": log.figure,
            "n": log.n,
            "window_start": _at(log.window_start),
            "window_end": _at(log.window_end),
            "subject": log.subject,
            "message": log.body,
        }
    }


def _customer_erased(obj) -> bool:
    response = obj.response if isinstance(obj, FollowUp) else obj
    return isinstance(response, Response) and response.invitation.customer.erased_at is not None


def event_payload(*, kind: str, obj, event_id: str, now: datetime) -> dict:
    """The JSON envelope of one event (the same for every subscription), without comments."""
    if kind in (OutboundEvent.RESPONSE_CREATED, OutboundEvent.RESPONSE_COMPLETED):
        data = _response_data(obj)
    elif kind in (OutboundEvent.FOLLOWUP_OPENED, OutboundEvent.FOLLOWUP_CLOSED):
        data = _followup_data(obj)
    elif kind == OutboundEvent.ALERT_FIRED:
        data = _alert_data(obj)
    elif kind == OutboundEvent.PING:
        data = {
            "subscription": {"id": obj.pk, "name": obj.name},
            "message": "Test event: the subscription works.",
        }
    else:
        raise ValueError(f"unknown outbound event {kind!r}")
    return {"id": event_id, "type": str(kind), "created_at": _at(now), "data": data}


def _publish(ids: tuple[int, ...]) -> None:
    """Hand the deliveries to workers. Never raises: the event is committed, and when the broker
    is unreachable the outbound sweep enqueues the rows later."""
    from ..tasks.outbound import outbound_deliver  # the task module imports the services

    for pk in ids:
        try:
            outbound_deliver.delay(pk)
        except Exception as exc:  # any broker failure (kombu wraps most; sockets may not)
            logger.warning("outbound delivery %s not enqueued (%s); the outbound sweep will send it", pk, exc)
            return


def _record(kind: str, obj, subscriptions: list[WebhookSubscription]) -> list[int]:
    now = timezone.now()
    event_id = uuid.uuid4().hex
    payload = event_payload(kind=kind, obj=obj, event_id=event_id, now=now)
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=s, event_type=kind, event_id=event_id, payload=payload, next_attempt_at=now
        )
        for s in subscriptions
    )
    ids = [row.pk for row in rows]
    queued = tuple(ids)  # the caller may extend the list it gets back
    transaction.on_commit(lambda: _publish(queued))
    return ids


def outbound_subscriptions_active() -> list[WebhookSubscription]:
    """The active subscriptions (one query): read once by a writer that records several
    events, and given to each (``subscriptions=``)."""
    return list(WebhookSubscription.objects.filter(is_active=True))


def outbound_event(*, kind: str, obj, subscriptions: list[WebhookSubscription] | None = None) -> list[int]:
    """Record event ``kind`` about ``obj`` (a Response, FollowUp or AlertLog) for every active
    subscription to it (``subscriptions``: the active ones, when the caller has read them), in
    the caller's transaction; each delivery is enqueued after commit.

    One query when nobody subscribes. Nothing is recorded for an erased customer's response
    or case. Returns the new deliveries' ids.
    """
    if subscriptions is None:
        subscriptions = outbound_subscriptions_active()
    wanted = [s for s in subscriptions if kind in s.events]
    if not wanted or _customer_erased(obj):
        return []
    return _record(kind, obj, wanted)


def outbound_response_saved(
    *, response: Response, created: bool, subscriptions: list[WebhookSubscription] | None = None
) -> list[int]:
    """After a response is written: ``response.created`` for a new row, and
    ``response.completed`` when it is complete (a submit without a one-click score first
    sends both, in that order). One query when nobody subscribes and ``subscriptions`` (the
    active ones) is not given."""
    if subscriptions is None:
        subscriptions = outbound_subscriptions_active()
    ids = []
    if created:
        ids += outbound_event(kind=OutboundEvent.RESPONSE_CREATED, obj=response, subscriptions=subscriptions)
    if response.is_complete:
        ids += outbound_event(
            kind=OutboundEvent.RESPONSE_COMPLETED, obj=response, subscriptions=subscriptions
        )
    return ids


def outbound_alert_logged(*, log: AlertLog) -> list[int]:
    """``alert.fired`` for a rule that fired; a recovery or a test says nothing outside."""
    return outbound_event(kind=OutboundEvent.ALERT_FIRED, obj=log) if log.kind == AlertLogKind.FIRED else []


def outbound_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``ping`` test event to one subscription, active or not. Returns the delivery."""
    with transaction.atomic():
        (pk,) = _record(OutboundEvent.PING, subscription, [subscription])
    return WebhookDelivery.objects.get(pk=pk)


def webhook_subscription_create(
    *,
    name: str,
    url: str,
    events: list[str],
    created_by: AbstractBaseUser | None,
    include_comments: bool = False,
) -> WebhookSubscription:
    """A new active subscription with a freshly generated secret (shown once to its creator).
    Raises ValidationError for an unknown event, no event, or a URL that is not http(s)."""
    subscription = WebhookSubscription(
        name=name, url=url, events=list(events), include_comments=include_comments, created_by=created_by
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """Replace the signing secret; deliveries sent from now on use the new one. Returns it."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription.secret
