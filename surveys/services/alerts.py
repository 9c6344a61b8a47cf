"""Alert rules that fire: evaluation, the alert log, the cooldown and the recovery notice.

Beat calls ``alert_rules_evaluate`` every ``ALERT_EVALUATE_SECONDS``. A rule *fires* when its
figure crosses the threshold with at least ``min_n`` records, it is not already firing, and
its cooldown since the last alert has passed; it *recovers* (one notice) when, firing, its
figure is back within the threshold with at least ``min_n`` records. Below ``min_n`` nothing
changes. Each message is logged (AlertLog) with one AlertDelivery per destination, enqueued
after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone

from ..alert_messages import rule_message
from ..models import AlertDelivery, AlertLog, AlertLogKind, AlertRule, DeliveryChannel
from ..reports.windows import WindowFigure, rule_figure
from .outbound import outbound_alert_logged

ALERT_DELIVER_TASK = "surveys.tasks.alert_deliver"  # surveys/tasks/alerts.py
logger = logging.getLogger(__name__)


def _log(rule: AlertRule, figure: WindowFigure, *, kind: str, now: datetime, says: str | None = None) -> AlertLog:
    """Write the log entry of ``kind``; its message is the one for ``says`` (default: ``kind``)."""
    subject, body = rule_message(rule=rule, figure=figure, kind=says or kind)
    return AlertLog.objects.create(
        rule=rule,
        kind=kind,
        fired_at=now,
        figure=figure.value,
        n=figure.n,
        window_start=figure.window_start,
        window_end=figure.window_end,
        subject=subject[:300],
        body=body,
    )


def _next_kind(rule: AlertRule, figure: WindowFigure, now: datetime) -> str | None:
    if figure.crossing is None:
        return None
    if figure.crossing:
        cooling = rule.last_fired_at is not None and now - rule.last_fired_at < timedelta(
            minutes=rule.cooldown_minutes
        )
        return None if rule.is_firing or cooling else AlertLogKind.FIRED
    return AlertLogKind.RECOVERED if rule.is_firing else None


def alert_delivery_enqueue(delivery_id: int) -> None:
    """Hand one delivery to a worker, by the task's name: the task module imports this service,
    never the other way round."""
    current_app.send_task(ALERT_DELIVER_TASK, args=(delivery_id,))


def alert_rule_evaluate(*, rule: AlertRule, now: datetime) -> AlertLog | None:
    """Evaluate one rule at ``now``; log and enqueue its message when it fires or recovers.

    Records the figure and n on the rule. The state change is a conditional UPDATE on the
    state read, so two overlapping evaluations send one message. Returns the new log entry,
    or None when there is nothing to say.
    """
    figure = rule_figure(rule, now=now)
    AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now, last_figure=figure.value, last_n=figure.n)
    kind = _next_kind(rule, figure, now)
    if kind is None:
        return None
    changes = {"is_firing": kind == AlertLogKind.FIRED}
    if kind == AlertLogKind.FIRED:
        changes["last_fired_at"] = now
    with transaction.atomic():
        won = AlertRule.objects.filter(
            pk=rule.pk, is_firing=rule.is_firing, last_fired_at=rule.last_fired_at
        ).update(**changes)
        if won != 1:
            logger.info("alert rule %s: another evaluation got there first", rule.pk)
            return None
        log = _log(rule, figure, kind=kind, now=now)
        outbound_alert_logged(log=log)
        destinations = [(DeliveryChannel.EMAIL, to) for to in rule.recipient_list]
        destinations += [(DeliveryChannel.WEBHOOK, url) for url in rule.webhook_list]
        deliveries = AlertDelivery.objects.bulk_create(
            AlertDelivery(log=log, channel=channel, destination=to) for channel, to in destinations
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: [alert_delivery_enqueue(pk) for pk in ids])
    for name, value in changes.items():
        setattr(rule, name, value)
    return log


def alert_rules_evaluate(*, now: datetime | None = None) -> int:
    """Evaluate every active rule. A rule that raises is logged and skipped, so one broken
    rule never silences the others. Returns how many messages were logged."""
    now = now or timezone.now()
    said = 0
    for rule in AlertRule.objects.filter(is_active=True).select_related("campaign", "team"):
        try:
            said += alert_rule_evaluate(rule=rule, now=now) is not None
        except Exception:
            logger.exception("alert rule %s could not be evaluated", rule.pk)
    return said


def alert_rule_test(*, rule: AlertRule, now: datetime | None = None) -> tuple[AlertLog, WindowFigure, str]:
    """What the rule would say now, logged as a test and sent nowhere; the rule's state is
    unchanged. Returns the log entry, the figure, and the kind of message it would send now
    (fired, recovered, or "" when it would stay silent)."""
    now = now or timezone.now()
    figure = rule_figure(rule, now=now)
    would = _next_kind(rule, figure, now) or ""
    shown = AlertLogKind.RECOVERED if would == AlertLogKind.RECOVERED else AlertLogKind.FIRED
    log = _log(rule, figure, kind=AlertLogKind.TEST, now=now, says=shown)
    return log, figure, would
