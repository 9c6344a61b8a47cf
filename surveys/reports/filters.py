"""Report filters, parsed from the query string so any view can be bookmarked.

Periods are half-open ``[start, end)`` in the site time zone: ``end`` is the first day *not*
included. Each record kind is put in a period by its own date (docs/metrics.md): responses by
``started_at``, tickets by ``closed_at`` falling back to ``resolved_at``, invitations by
``sent_at``.
"""

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..bounds import BIGINT_MAX, day_problem
from ..models import Invitation, Priority, Response, Ticket

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class FilterError(ValueError):
    """Bad filter values; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _day_in_window(value: date) -> None:
    if problem := day_problem(value):
        raise forms.ValidationError(problem, code="window")


class FilterForm(forms.Form):
    # Bounded so the previous period and the default end (start + 30 days) stay real dates,
    # and within the window stored values keep (surveys/bounds.py).
    start = forms.DateField(required=False, label=_("From"), validators=[_day_in_window])
    end = forms.DateField(required=False, label=_("Until (exclusive)"), validators=[_day_in_window])
    # Ids are bigint columns: a larger number is refused here, not by the database.
    campaign = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, label=_("Campaign"))
    team = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, label=_("Team"))
    agent = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, label=_("Agent"))
    category = forms.CharField(required=False, max_length=100, label=_("Category"))
    priority = forms.ChoiceField(
        required=False, choices=[("", "")] + list(Priority.choices), label=_("Priority")
    )
    channel = forms.CharField(required=False, max_length=50, label=_("Channel"))
    segment = forms.CharField(required=False, max_length=50, label=_("Customer segment"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                raise forms.ValidationError(_("The end date must be after the start date."), code="order")
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("A period can be at most three years long."), code="span")
        return data


FIELDS = ("campaign", "team", "agent", "category", "priority", "channel", "segment")


def site_tz() -> ZoneInfo:
    """The site's time zone: reporting days are its days."""
    return ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    return timezone.localdate(timezone=site_tz())


def midnight(day: date) -> datetime:
    """The moment ``day`` starts in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=site_tz())


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    campaign: int | None = None
    team: int | None = None
    agent: int | None = None
    category: str = ""
    priority: str = ""
    channel: str = ""
    segment: str = ""

    # --- periods --------------------------------------------------------------------------
    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return midnight(self.start), midnight(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> "ReportFilters":
        """The same filters over the period of the same length just before this one."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start)

    def with_period(self, start: date, end: date) -> "ReportFilters":
        return replace(self, start=start, end=end)

    # --- query string -----------------------------------------------------------------------
    def as_params(self) -> dict[str, str]:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in FIELDS:
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = str(value)
        return params

    def querystring(self, **extra) -> str:
        params = self.as_params() | {k: v for k, v in extra.items() if v not in (None, "")}
        return urlencode(params)

    def as_record(self) -> dict:
        """JSON-ready, for the export log."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}

    # --- querysets --------------------------------------------------------------------------
    def _ticket_q(self, prefix: str = "") -> Q:
        q = Q()
        for name, lookup in (
            ("team", "team_id"),
            ("agent", "agent_id"),
            ("category", "category"),
            ("priority", "priority"),
            ("channel", "channel"),
            ("segment", "customer__segment"),
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                q &= Q(**{f"{prefix}{lookup}": value})
        return q

    def tickets(self, queryset=None):
        """Tickets closed (or, lacking a closure, resolved) in the period, filtered."""
        low, high = self.bounds
        qs = (Ticket.objects.all() if queryset is None else queryset).filter(
            Q(closed_at__gte=low, closed_at__lt=high)
            | Q(closed_at__isnull=True, resolved_at__gte=low, resolved_at__lt=high)
        )
        if self.campaign:
            qs = qs.filter(
                Exists(Invitation.objects.filter(ticket=OuterRef("pk"), campaign_id=self.campaign))
            )
        return qs.filter(self._ticket_q())

    def responses(self, queryset=None):
        """Responses whose first score was recorded in the period, filtered."""
        low, high = self.bounds
        qs = (Response.objects.all() if queryset is None else queryset).filter(
            started_at__gte=low, started_at__lt=high
        )
        if self.campaign:
            qs = qs.filter(invitation__campaign_id=self.campaign)
        return qs.filter(self._ticket_q("invitation__ticket__"))

    def invitations(self, queryset=None):
        """Invitations first sent in the period, filtered."""
        low, high = self.bounds
        qs = (Invitation.objects.all() if queryset is None else queryset).filter(
            sent_at__gte=low, sent_at__lt=high
        )
        if self.campaign:
            qs = qs.filter(campaign_id=self.campaign)
        return qs.filter(self._ticket_q("ticket__"))


def filters_parse(params, *, agent_id: int | None = None, today: date | None = None) -> ReportFilters:
    """Filters from a query string (a QueryDict or dict); raises FilterError on bad input.

    ``agent_id`` pins the agent filter, whatever the query string says: agents read only
    their own figures. Without dates the period is the last 30 days, today included.
    """
    form = FilterForm(data={k: params.get(k, "") for k in FilterForm.base_fields})
    if not form.is_valid():
        raise FilterError({k: [str(m) for m in v] for k, v in form.errors.items()})
    data = form.cleaned_data
    today = today or site_today()
    end = data["end"] or (
        data["start"] + timedelta(days=DEFAULT_DAYS) if data["start"] else today + timedelta(days=1)
    )
    start = data["start"] or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise FilterError({"end": [str(_("The end date must be after the start date."))]})
    values = {
        name: data.get(name) or ("" if name in ("category", "priority", "channel", "segment") else None)
        for name in FIELDS
    }
    if agent_id is not None:
        values["agent"] = agent_id
    return ReportFilters(start=start, end=end, **values)


def filters_as_typed(params, errors: dict[str, list[str]], *, agent_id: int | None = None):
    """The values to show back in the filter form after a FilterError, and its errors by field.

    Valid fields come back parsed (so a known team stays selected), refused ones as typed.
    An error about the period as a whole (end before start, too long) is shown beside "end".
    """
    form = FilterForm(data={k: params.get(k, "") for k in FilterForm.base_fields})
    form.is_valid()
    values = {
        name: form.cleaned_data.get(name, params.get(name, "")) or None
        for name in ("start", "end", *FIELDS)
    }
    if agent_id is not None:
        values["agent"] = agent_id
    field_errors: dict[str, list[str]] = {}
    for field, messages in errors.items():
        field_errors.setdefault("end" if field == "__all__" else field, []).extend(messages)
    return values, field_errors
