"""Enumerations shared by several models. Statuses are TextChoices, never bare strings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Metric(models.TextChoices):
    """Every figure a Target or an AlertRule can refer to (docs/metrics.md)."""

    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT %")
    CES = "ces", _("CES (mean)")
    RESPONSE_RATE = "response_rate", _("Response rate %")
    RESPONSES = "responses", _("Number of responses")
    COMPLAINT_RATE = "complaint_rate", _("Complaint rate %")
    FIRST_RESPONSE_TIME = "first_response_time", _("First response time (median, s)")
    RESOLUTION_TIME = "resolution_time", _("Resolution time (median, s)")
    FCR = "fcr", _("First-contact resolution %")
    SLA_RESPONSE = "sla_response", _("SLA attainment, response %")
    SLA_RESOLUTION = "sla_resolution", _("SLA attainment, resolution %")


class Comparison(models.TextChoices):
    LT = "lt", "<"
    LTE = "lte", "≤"
    GT = "gt", ">"
    GTE = "gte", "≥"


class AlertCheck(models.TextChoices):
    """What an AlertRule watches (docs/alerts.md)."""

    METRIC = "metric", _("A metric crosses the threshold")
    NO_RESPONSES = "no_responses", _("No responses while invitations were sent")
    SENDING_FAILURES = "sending_failures", _("Sending failures above the threshold %")


class AlertPercentile(models.IntegerChoices):
    """Which percentile of a duration metric (first response, resolution time) a rule reads."""

    MEDIAN = 50, _("median")
    P90 = 90, _("90th percentile")
