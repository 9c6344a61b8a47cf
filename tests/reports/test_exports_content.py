"""Exports an analyst opens without fixing: real dates and hours in the workbook, a frozen and
filtered header, choice labels beside codes, the ticket's subject and customer, absolute links,
and a CSV that Excel opens as UTF-8."""

import csv
import io
from codecs import BOM_UTF8
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from surveys import models as m
from tests.factories import QuestionFactory
from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db

CHINESE = "客服很慢，等了三天才回复"


def url(kind, fmt, extra=""):
    return reverse("surveys:reports_export", args=[kind, fmt]) + f"?{PERIOD}{extra}"


def csv_table(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def workbook(response):
    # Not read-only: freeze panes, the filter and column widths are read from the sheet.
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def sheet_cells(sheet, ticket) -> tuple[list[str], int, dict]:
    """The header, the number of data rows and ``ticket``'s row as {column: cell}."""
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    (row,) = [r for r in rows[1:] if r[header.index("ticket_id")].value == ticket.external_id]
    return header, len(rows) - 1, dict(zip(header, row, strict=True))


@pytest.fixture
def rich(scenario):
    """One response of the scenario with a multiple choice, a Chinese comment, a named customer."""
    campaign = scenario["campaign"]
    reason = QuestionFactory(
        questionnaire=campaign.questionnaire,
        key="reason",
        kind=m.QuestionKind.MULTI_CHOICE,
        choices=[
            {"value": "slow", "en": "Too slow", "zh-hans": "太慢"},
            {"value": "manner", "en": "Unfriendly manner", "zh-hans": "态度不好"},
            {"value": "=cmd", "en": "=HYPERLINK(1)"},
        ],
    )
    response = scenario["a"][4]
    m.Answer.objects.create(
        response=response, question=reason, kind=m.QuestionKind.MULTI_CHOICE, choices=["slow", "manner"]
    )
    m.Answer.objects.filter(response=response, kind=m.QuestionKind.TEXT).update(text=CHINESE)
    ticket = response.invitation.ticket
    ticket.subject = "Refund not received"
    ticket.reference = "billing-42"  # the helpdesk's own name for it (django-helpdesk's queue-slug-N)
    ticket.save()
    customer = ticket.customer
    customer.name, customer.email = "Li Wei", "li.wei@example.cn"
    customer.save()
    return {"response": response, "ticket": ticket, "customer": customer, **scenario}


def row_of(rows, ticket):
    (row,) = [r for r in rows if r["ticket_id"] == ticket.external_id]
    return row


def test_csv_starts_with_a_byte_order_mark_and_round_trips_chinese(manager_client, rich):
    rows = csv_table(manager_client.get(url("responses", "csv")))
    assert row_of(rows, rich["ticket"])["q:comment"] == CHINESE


def test_csv_without_byte_order_mark_on_request(manager_client, rich):
    body = b"".join(manager_client.get(url("responses", "csv", "&bom=0")).streaming_content)
    assert body.startswith(b"started_at,") and CHINESE.encode() in body


def test_bad_bom_value_is_a_400_and_writes_nothing(manager_client, rich):
    assert manager_client.get(url("responses", "csv", "&bom=yes")).status_code == 400
    assert not m.DataExport.objects.exists()


def test_choice_labels_stand_beside_the_codes(manager_client, rich):
    body = b"".join(manager_client.get(url("responses", "csv")).streaming_content)
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[header.index("q:reason") + 1] == "q:reason:label"
    row = row_of(csv_table(manager_client.get(url("responses", "csv"))), rich["ticket"])
    assert (row["q:reason"], row["q:reason:label"]) == ("slow;manner", "Too slow;Unfriendly manner")


def test_a_label_that_looks_like_a_formula_is_quoted(manager_client, rich):
    m.Answer.objects.filter(question__key="reason").update(choices=["=cmd", "unknown"])
    row = row_of(csv_table(manager_client.get(url("responses", "csv"))), rich["ticket"])
    # "unknown" is no longer a choice of the question: its code stands in for the label.
    assert (row["q:reason"], row["q:reason:label"]) == ("'=cmd;unknown", "'=HYPERLINK(1);unknown")


def test_responses_name_the_ticket_customer_agent_team_and_link_absolutely(manager_client, rich, settings):
    row = row_of(csv_table(manager_client.get(url("responses", "csv"))), rich["ticket"])
    assert (row["ticket_subject"], row["ticket_reference"]) == ("Refund not received", "billing-42")
    assert (row["customer_name"], row["customer_email"]) == ("Li Wei", "li.wei@example.cn")
    assert (row["agent"], row["team"]) == ("Agent Smith", "Team A")
    link = urlsplit(row["response_url"])
    assert f"{link.scheme}://{link.netloc}" == settings.SITE_URL and link.scheme in ("http", "https")
    assert link.path == reverse("admin:surveys_response_change", args=[rich["response"].pk])


def test_tickets_link_to_their_admin_page_and_name_subject_and_customer(manager_client, rich, settings):
    row = row_of(csv_table(manager_client.get(url("tickets", "csv"))), rich["ticket"])
    assert row["subject"] == "Refund not received" and row["customer_name"] == "Li Wei"
    assert row["ticket_reference"] == "billing-42"
    expected = settings.SITE_URL + reverse("admin:surveys_ticket_change", args=[rich["ticket"].pk])
    assert row["ticket_url"] == expected


def test_an_erased_customer_shows_empty_whatever_the_row_still_holds(manager_client, rich):
    # Erasure clears the email; a name left behind (an older erasure) is not shown either.
    m.Customer.objects.filter(pk=rich["customer"].pk).update(email=None, erased_at=timezone.now())
    row = row_of(csv_table(manager_client.get(url("responses", "csv"))), rich["ticket"])
    assert (row["customer_name"], row["customer_email"]) == ("", "")
    assert row["ticket_subject"] == "Refund not received"


def test_tickets_workbook_has_local_dates_hours_frozen_filtered_header_and_widths(
    manager_client, rich, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    sheet = workbook(manager_client.get(url("tickets", "xlsx")))
    header, count, cells = sheet_cells(sheet, rich["ticket"])
    opened = rich["ticket"].opened_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert isinstance(cells["opened_at"].value, datetime) and cells["opened_at"].value == opened
    assert cells["opened_at"].number_format == "yyyy-mm-dd hh:mm"
    # 3600 s, 6 h and a 4 h target (tests/reports/helpers.py): hours, numbers with a format.
    assert "first_response_s" not in header
    hours = [cells[name].value for name in ("first_response_h", "resolution_h", "sla_response_target_h")]
    assert hours == [1, 6, 4]
    assert cells["first_response_h"].number_format == "0.00"
    assert cells["sla_response_met"].value is True
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{count + 1}"
    assert sheet.column_dimensions[cells["opened_at"].column_letter].width >= 16
    assert sheet.column_dimensions[cells["ticket_url"].column_letter].width >= 40


def test_responses_workbook_has_dates_labels_and_quoted_formulas(manager_client, rich):
    m.Answer.objects.filter(question__key="comment").update(text="=1+2")
    _header, _count, cells = sheet_cells(
        workbook(manager_client.get(url("responses", "xlsx"))), rich["ticket"]
    )
    assert isinstance(cells["started_at"].value, datetime)
    assert (cells["q:reason"].value, cells["q:reason:label"].value) == (
        "slow;manner",
        "Too slow;Unfriendly manner",
    )
    assert cells["q:comment"].value == "'=1+2" and cells["q:comment"].data_type == "s"
    assert cells["response_url"].value.startswith("http")


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["responses", "tickets"])
def test_postgres_copy_writes_labels_links_and_customers_as_the_python_writer(manager, rich, kind):
    from surveys import exports
    from surveys.reports.filters import ReportFilters
    from tests.reports.conftest import END, START

    filters = ReportFilters(start=START, end=END)
    record = exports.export_record(user=manager, kind=kind, fmt="csv", filters=filters)
    python = "".join(exports._csv_stream(record, exports.ROWS[kind](filters)))
    copied = b"".join(exports._copy_csv_stream(record, kind, filters)).decode()
    assert copied.startswith("\ufeff") and python.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(copied))) == list(csv.reader(io.StringIO(python)))
    assert CHINESE in copied or kind == "tickets"
