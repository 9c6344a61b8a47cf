"""What an alert rule says: the subject and text of its email, and its webhook body.

Figures are rounded here, at display time (``reports.formatting``), and always carry their n
and window. The same text goes to every destination; the webhook body is ``{"text": …}``,
which Slack and Microsoft Teams incoming webhooks both accept.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import AlertCheck, AlertLogKind, AlertRule
from .reports import formatting
from .reports.filters import site_tz
from .reports.windows import WindowFigure


def _threshold(rule: AlertRule, figure: WindowFigure) -> str:
    if rule.check_kind == AlertCheck.NO_RESPONSES:
        return _("no responses while invitations were sent")
    if rule.check_kind == AlertCheck.SENDING_FAILURES:
        return _("above %(value)s") % {"value": formatting.value(float(rule.threshold), "pct")}
    return f"{rule.get_comparison_display()} {_value(float(rule.threshold), figure.unit)}"


def _value(number: float | None, unit: str) -> str:
    if unit == "count":
        return "—" if number is None else str(int(number))
    return formatting.value(number, unit)


def _scope(rule: AlertRule) -> str:
    parts = []
    if rule.campaign_id:
        parts.append(_("campaign %(name)s") % {"name": rule.campaign.name})
    if rule.team_id:
        parts.append(_("team %(name)s") % {"name": rule.team.name})
    if rule.category:
        parts.append(_("category %(name)s") % {"name": rule.category})
    if rule.channel:
        parts.append(_("channel %(name)s") % {"name": rule.channel})
    return ", ".join(parts) or _("all tickets and responses")


def _moment(value) -> str:
    return timezone.localtime(value, site_tz()).strftime("%Y-%m-%d %H:%M")


def rule_message(*, rule: AlertRule, figure: WindowFigure, kind: str) -> tuple[str, str]:
    """The alert's subject and plain-text body, in the site language."""
    with translation.override(settings.LANGUAGE_CODE):
        # Below the minimum sample a figure is not shown, only its n (docs/metrics.md).
        shown = "—" if figure.crossing is None else _value(figure.value, figure.unit)
        headline = _("%(label)s %(value)s (n = %(n)s)") % {"label": figure.label, "value": shown, "n": figure.n}
        if kind == AlertLogKind.RECOVERED:
            subject = _("Recovered: %(rule)s — %(headline)s") % {"rule": rule.name, "headline": headline}
            status = _("Back within the threshold (%(threshold)s).")
        else:
            subject = _("Alert: %(rule)s — %(headline)s") % {"rule": rule.name, "headline": headline}
            status = _("Threshold crossed: %(threshold)s.")
        link = settings.SITE_URL + reverse("admin:surveys_alertrule_change", args=[rule.pk])
        body = "\n".join(
            [
                headline,
                status % {"threshold": _threshold(rule, figure)},
                _("Window: %(start)s to %(end)s (%(tz)s), the last %(hours)s h")
                % {
                    "start": _moment(figure.window_start),
                    "end": _moment(figure.window_end),
                    "tz": settings.TIME_ZONE,
                    "hours": rule.window_hours,
                },
                _("Scope: %(scope)s") % {"scope": _scope(rule)},
                "",
                _("The rule: %(link)s") % {"link": link},
            ]
        )
    return " ".join(subject.split()), body


def webhook_body(*, subject: str, body: str) -> bytes:
    """The JSON posted to an incoming webhook."""
    return json.dumps({"text": f"{subject}\n\n{body}"}, ensure_ascii=False).encode("utf-8")
