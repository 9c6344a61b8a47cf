"""The columns of the exports: their names, the expression each reads and its kind.

Shared by the Python writers (CSV and XLSX, surveys/exports.py, surveys/exports_xlsx.py) and the
PostgreSQL COPY (surveys/exports_copy.py), so the three always write the same columns.
Kinds: ``time`` (an aware datetime), ``bool``, ``text`` (neutralised against formulas),
``duration`` (whole seconds; hours in the workbook) and ``plain`` (numbers and codes).
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse

from .models import CHOICE_KINDS, ClickVerdict, Question, Response, ScoreClick

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same rule in SQL, for the COPY export: the text behind a quote, "" as NULL.
SQL_FORMULA_SAFE = (
    f"CASE WHEN left({{0}}, 1) IN ({', '.join(f'chr({ord(c)})' for c in FORMULA_STARTS)}) "
    "THEN chr(39) || {0} ELSE NULLIF({0}, '') END"
)
# Choice labels are written in the site's language (a choice without one falls back to English,
# then to its code), the language an analyst reads the product in.
LABEL_SUFFIX = ":label"
# Excel reads a CSV without a byte order mark in the machine's legacy code page, which turns
# Chinese (or any non-Latin) text into mojibake; with it, Excel reads UTF-8.
BOM = "\ufeff"


def formula_safe(value):
    """A text a spreadsheet would run as a formula, behind a quote; any other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell(value):
    """A value as the CSV writes it: UTC times to the second, formula-safe text, "" for none."""
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_safe(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(TIME_FORMAT)
    return value


def question_keys(responses) -> list[tuple[str, bool]]:
    """The question keys of the responses' questionnaires in order, each with whether any
    question of that key is a choice (its answers then get a label column beside the codes)."""
    qs = Question.objects.filter(questionnaire_id__in=responses.values("invitation__questionnaire_id"))
    is_choice = Case(
        When(kind__in=CHOICE_KINDS, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    rows = qs.values("key").annotate(first=Min("order"), choice=Max(is_choice)).order_by("first", "key")
    return [(row["key"], bool(row["choice"])) for row in rows]


def answer_header(keys: list[tuple[str, bool]]) -> list[str]:
    header = []
    for key, is_choice in keys:
        header.append(f"q:{key}")
        if is_choice:
            header.append(f"q:{key}{LABEL_SUFFIX}")
    return header


def label_language() -> str:
    return settings.LANGUAGE_CODE.lower()


def admin_link(model: str):
    """An expression: the absolute URL of a row's admin change page (SITE_URL + the admin path).

    The read-only response and ticket pages come later; until then the admin is where a link
    from a spreadsheet can open the row.
    """
    # reverse() needs an id: a marker stands in for it, and SQL puts each row's own in its place.
    marker = 987654321
    path = reverse(f"admin:surveys_{model}_change", args=[marker])
    head, tail = path.split(str(marker))
    return Concat(
        Value(settings.SITE_URL + head), Cast("pk", CharField()), Value(tail), output_field=CharField()
    )


def unless_erased(prefix: str, field: str):
    """The customer's ``field``, or NULL for an erased customer (whatever the row still holds)."""
    return Case(
        When(**{f"{prefix}customer__erased_at__isnull": True}, then=F(f"{prefix}customer__{field}")),
        default=Value(None),
        output_field=CharField(),
    )


def _scanner_clicks_set_aside():
    """How many one-click scores of the response's email were set aside as likely mail-scanner
    clicks (none of them is in the response; docs/scanner-clicks.md)."""
    set_aside = (
        ScoreClick.objects.filter(invitation_id=OuterRef("invitation_id"), verdict=ClickVerdict.SET_ASIDE)
        .order_by()
        .values("invitation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(set_aside), Value(0))


def response_columns() -> list[tuple[str, object, str]]:
    """(name, expression on Response, kind) of every fixed column of the responses export."""
    t = "invitation__ticket__"
    return [
        ("started_at", F("started_at"), "time"),
        ("submitted_at", F("submitted_at"), "time"),
        ("complete", F("is_complete"), "bool"),
        ("complaint", F("is_complaint"), "bool"),
        ("language", F("language"), "plain"),
        ("nps", F("nps_score"), "plain"),
        ("csat", F("csat_score"), "plain"),
        ("ces", F("ces_score"), "plain"),
        ("campaign", F("invitation__campaign__name"), "text"),
        ("ticket_source", F(f"{t}source"), "text"),
        ("ticket_id", F(f"{t}external_id"), "text"),
        # The helpdesk's own reference where it has one (django-helpdesk: queue-slug-1).
        ("ticket_reference", F(f"{t}reference"), "text"),
        ("ticket_subject", F(f"{t}subject"), "text"),
        ("category", F(f"{t}category"), "text"),
        ("priority", F(f"{t}priority"), "plain"),
        ("channel", F(f"{t}channel"), "text"),
        ("team", F(f"{t}team__name"), "text"),
        ("agent", F(f"{t}agent__name"), "text"),
        ("segment", F(f"{t}customer__segment"), "text"),
        ("customer_name", unless_erased(t, "name"), "text"),
        ("customer_email", unless_erased(t, "email"), "text"),
        ("response_url", admin_link("response"), "text"),
        ("scanner_clicks_set_aside", _scanner_clicks_set_aside(), "plain"),
    ]


def _met(time: str, target: str):
    """True when the duration kept its target; NULL when either is unknown."""
    return Case(
        When(Q(**{f"{time}__isnull": True}) | Q(**{f"{target}__isnull": True}), then=Value(None)),
        When(**{f"{time}__lte": F(target)}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def ticket_columns() -> list[tuple[str, object, str]]:
    """(name, expression on Ticket, kind) of every column of the tickets export."""
    by_response = Q(pk__in=Response.objects.filter(is_complaint=True).values("invitation__ticket_id"))
    return [
        ("source", F("source"), "text"),
        ("ticket_id", F("external_id"), "text"),
        ("ticket_reference", F("reference"), "text"),
        ("subject", F("subject"), "text"),
        ("status", F("status"), "plain"),
        ("category", F("category"), "text"),
        ("priority", F("priority"), "plain"),
        ("channel", F("channel"), "text"),
        ("team", F("team__name"), "text"),
        ("agent", F("agent__name"), "text"),
        ("segment", F("customer__segment"), "text"),
        ("customer_name", unless_erased("", "name"), "text"),
        ("customer_email", unless_erased("", "email"), "text"),
        ("opened_at", F("opened_at"), "time"),
        ("first_response_at", F("first_response_at"), "time"),
        ("resolved_at", F("resolved_at"), "time"),
        ("closed_at", F("closed_at"), "time"),
        ("contact_count", F("contact_count"), "plain"),
        ("reopen_count", F("reopen_count"), "plain"),
        # The helpdesk's flag, or a complaint made in a survey answer about the ticket.
        (
            "complaint",
            ExpressionWrapper(Q(is_complaint=True) | by_response, output_field=BooleanField()),
            "bool",
        ),
        ("first_response_s", F("first_response_s"), "duration"),
        ("resolution_s", F("resolution_s"), "duration"),
        ("sla_response_target_s", F("sla_response_target_s"), "duration"),
        ("sla_resolution_target_s", F("sla_resolution_target_s"), "duration"),
        ("sla_response_met", _met("first_response_s", "sla_response_target_s"), "bool"),
        ("sla_resolution_met", _met("resolution_s", "sla_resolution_target_s"), "bool"),
        ("ticket_url", admin_link("ticket"), "text"),
    ]


# Whole seconds in the CSV; the workbook shows them in hours under a `_h` name.
DURATION_COLUMNS = {"first_response_s", "resolution_s", "sla_response_target_s", "sla_resolution_target_s"}
