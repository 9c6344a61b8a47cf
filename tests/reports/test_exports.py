"""Exports: content, headers, permission, the export log, and formula-safe cells."""

import csv
import io
from codecs import BOM_UTF8

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from surveys import models as m
from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db


def url(kind, fmt):
    return reverse("surveys:reports_export", args=[kind, fmt]) + f"?{PERIOD}"


def read_csv(response):
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_responses_csv_has_a_row_per_response_and_a_column_per_question(manager_client, scenario):
    response = manager_client.get(url("responses", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="responses_2026-03-02_2026-03-09.csv"'
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["started_at", "submitted_at", "complete"]
    assert "q:comment" in header and "agent" in header and "ticket_id" in header
    assert len(body) == 8
    col = {name: i for i, name in enumerate(header)}
    comments = [r[col["q:comment"]] for r in body if r[col["q:comment"]]]
    assert comments == ["<script>alert(1)</script> slow"]
    assert sorted(r[col["agent"]] for r in body).count("Beth") == 2
    assert sorted(int(r[col["nps"]]) for r in body) == [0, 3, 8, 9, 9, 10, 10, 10]


def test_each_export_is_recorded(manager, manager_client, scenario):
    read_csv(manager_client.get(url("responses", "csv")))
    record = m.DataExport.objects.get()
    assert record.user == manager and record.kind == "responses" and record.format == "csv"
    assert record.filters["start"] == "2026-03-02" and record.rows == 8 and record.finished_at


def test_tickets_csv_has_service_level_figures(manager_client, scenario):
    rows = read_csv(manager_client.get(url("tickets", "csv") + f"&team={scenario['team_b'].pk}"))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    assert len(body) == 2
    assert {r[col["first_response_s"]] for r in body} == {"3600"}
    assert {r[col["sla_response_met"]] for r in body} == {"True"}
    assert {r[col["team"]] for r in body} == {"Team B"}


def test_xlsx_export_opens_with_the_same_rows(manager_client, scenario):
    response = manager_client.get(url("responses", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "started_at" and len(rows) == 9
    assert m.DataExport.objects.get().rows == 8


def test_cells_that_would_run_as_formulas_are_quoted(manager_client, scenario):
    answer = m.Answer.objects.get(kind=m.QuestionKind.TEXT)
    answer.text = '=HYPERLINK("http://evil")'
    answer.save()
    rows = read_csv(manager_client.get(url("responses", "csv")))
    assert '\'=HYPERLINK("http://evil")' in [cell for row in rows for cell in row]


def test_agents_cannot_export(agent_client, scenario):
    assert agent_client.get(url("responses", "csv")).status_code == 403
    assert not m.DataExport.objects.exists()


@pytest.mark.parametrize("persona", ["designer_client", "outsider_client"])
def test_other_staff_cannot_export(request, persona, roles):
    assert request.getfixturevalue(persona).get(url("tickets", "csv")).status_code == 403


def test_unknown_kind_or_bad_filter_writes_nothing(manager_client, roles):
    assert manager_client.get(reverse("surveys:reports_export", args=["passwords", "csv"])).status_code == 404
    assert manager_client.get(url("tickets", "csv") + "&start=bad").status_code == 400
    assert not m.DataExport.objects.exists()


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["responses", "tickets"])
def test_postgres_copy_writes_the_same_csv_as_the_python_writer(manager, scenario, kind):
    from surveys import exports
    from surveys.reports.filters import ReportFilters
    from tests.reports.conftest import END, START

    filters = ReportFilters(start=START, end=END)
    record = exports.export_record(user=manager, kind=kind, fmt="csv", filters=filters)
    python = "".join(exports._csv_stream(record, exports.ROWS[kind](filters)))
    copied = b"".join(exports._copy_csv_stream(record, kind, filters)).decode()
    assert list(csv.reader(io.StringIO(copied))) == list(csv.reader(io.StringIO(python)))
