"""Exports of responses and tickets as CSV (streamed, constant memory) and XLSX.

Rows are read with server-side cursors and written as they come; answers are read in
response order beside the responses and merged, so memory does not grow with the export.
Every export is recorded (who, when, which filters, how many rows).
"""

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .metrics import report_transaction
from .models import Answer, ClickVerdict, DataExport, ExportFormat, ExportKind, Question, Response, ScoreClick
from .reports.filters import ReportFilters

CHUNK = 2000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

RESPONSE_COLUMNS = [
    "started_at",
    "submitted_at",
    "complete",
    "complaint",
    "language",
    "nps",
    "csat",
    "ces",
    "campaign",
    "ticket_source",
    "ticket_id",
    "category",
    "priority",
    "channel",
    "team",
    "agent",
    "segment",
    # One-click scores of the same email set aside as likely mail-scanner clicks (none of
    # them is in the response; docs/scanner-clicks.md).
    "scanner_clicks_set_aside",
]
TICKET_COLUMNS = [
    "source",
    "ticket_id",
    "status",
    "category",
    "priority",
    "channel",
    "team",
    "agent",
    "segment",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "contact_count",
    "reopen_count",
    "complaint",
    "first_response_s",
    "resolution_s",
    "sla_response_target_s",
    "sla_resolution_target_s",
    "sla_response_met",
    "sla_resolution_met",
]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(TIME_FORMAT)
    return value


def _question_keys(responses) -> list[str]:
    qs = Question.objects.filter(questionnaire_id__in=responses.values("invitation__questionnaire_id"))
    return list(
        qs.values("key").annotate(first=Min("order")).order_by("first", "key").values_list("key", flat=True)
    )


def _answer_value(kind, number, choices, text):
    if number is not None:
        return number
    if choices:
        return ";".join(str(c) for c in choices)
    return text


def response_rows(filters: ReportFilters) -> Iterator[list]:
    """The header, then one row per response: its fields, its ticket's and one per question."""
    responses = filters.responses()
    keys = _question_keys(responses)
    yield RESPONSE_COLUMNS + [f"q:{key}" for key in keys]
    position = {key: i for i, key in enumerate(keys)}
    rows = responses.order_by("pk").values_list("pk", *_response_values())
    answers = (
        Answer.objects.filter(response__in=responses.values("pk"))
        .order_by("response_id")
        .values_list("response_id", "question__key", "kind", "number", "choices", "text")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(answers, None)
    for row in rows.iterator(chunk_size=CHUNK):
        cells = [None] * len(keys)
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0] and pending[1] in position:
                cells[position[pending[1]]] = _answer_value(*pending[2:])
            pending = next(answers, None)
        yield [_cell(v) for v in row[1:]] + [_cell(v) for v in cells]


def ticket_rows(filters: ReportFilters) -> Iterator[list]:
    """The header, then one row per ticket of the period with its service-level figures."""
    yield TICKET_COLUMNS
    complaint_response = Exists(Response.objects.filter(invitation__ticket=OuterRef("pk"), is_complaint=True))
    rows = (
        filters.tickets()
        .order_by("pk")
        .annotate(complaint_response=complaint_response)
        .values_list(
            "source",
            "external_id",
            "status",
            "category",
            "priority",
            "channel",
            "team__name",
            "agent__name",
            "customer__segment",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "contact_count",
            "reopen_count",
            "is_complaint",
            "complaint_response",
            "first_response_s",
            "resolution_s",
            "sla_response_target_s",
            "sla_resolution_target_s",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        *head, is_complaint, by_response, frt, res, frt_target, res_target = row
        met_response = None if frt is None or frt_target is None else frt <= frt_target
        met_resolution = None if res is None or res_target is None else res <= res_target
        yield [_cell(v) for v in head] + [
            is_complaint or by_response,
            _cell(frt),
            _cell(res),
            _cell(frt_target),
            _cell(res_target),
            _cell(met_response),
            _cell(met_resolution),
        ]


ROWS = {ExportKind.RESPONSES: response_rows, ExportKind.TICKETS: ticket_rows}


def export_record(*, user, kind: str, fmt: str, filters: ReportFilters) -> DataExport:
    """Log an export before it starts: an export that fails half-way is still on record."""
    record = DataExport(user=user, kind=kind, format=fmt, filters=filters.as_record())
    record.full_clean()
    record.save()
    return record


def _finish(record: DataExport, rows: int) -> None:
    DataExport.objects.filter(pk=record.pk).update(rows=rows, finished_at=timezone.now())


def _csv_stream(record: DataExport, rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = -1  # the header is not a row of data
    for count, row in enumerate(rows):  # noqa: B007 - the count is kept after the loop
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
    _finish(record, max(count, 0))


# --- PostgreSQL: COPY … TO STDOUT ----------------------------------------------------------
# The same CSV as the Python writer (UTC times to the second, True/False, formula-safe text),
# formatted by the database and streamed in chunks, many times the rows per second.
SQL_TIME = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
SQL_BOOL = "CASE WHEN {0} THEN 'True' WHEN NOT {0} THEN 'False' END"
SQL_TEXT = "CASE WHEN left({0}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN chr(39) || {0} ELSE NULLIF({0}, '') END"
SQL_FORMATS = {"time": SQL_TIME, "bool": SQL_BOOL, "text": SQL_TEXT, "plain": "{}"}


def _sql_columns(kinds: dict[str, str]) -> str:
    return ", ".join(SQL_FORMATS[kind].format(f'r."x_{name}"') for name, kind in kinds.items())


def _copy_stream(sql: str, params) -> Iterator[bytes]:
    with report_transaction(), connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        yield from (bytes(chunk) for chunk in copy)


RESPONSE_PATHS = [
    "started_at",
    "submitted_at",
    "is_complete",
    "is_complaint",
    "language",
    "nps_score",
    "csat_score",
    "ces_score",
    "invitation__campaign__name",
    "invitation__ticket__source",
    "invitation__ticket__external_id",
    "invitation__ticket__category",
    "invitation__ticket__priority",
    "invitation__ticket__channel",
    "invitation__ticket__team__name",
    "invitation__ticket__agent__name",
    "invitation__ticket__customer__segment",
]
RESPONSE_KINDS = {
    "started_at": "time",
    "submitted_at": "time",
    "complete": "bool",
    "complaint": "bool",
    "campaign": "text",
    "ticket_source": "text",
    "ticket_id": "text",
    "category": "text",
    "channel": "text",
    "team": "text",
    "agent": "text",
    "segment": "text",
}
ANSWER_VALUE = (
    "COALESCE(a.number::text, NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(a.choices)), ';'), ''), "
    + SQL_TEXT.format("a.text")
    + ")"
)


def _response_values() -> list:
    """The expressions behind RESPONSE_COLUMNS, in order."""
    set_aside = (
        ScoreClick.objects.filter(invitation_id=OuterRef("invitation_id"), verdict=ClickVerdict.SET_ASIDE)
        .order_by()
        .values("invitation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return [F(path) for path in RESPONSE_PATHS] + [Coalesce(Subquery(set_aside), Value(0))]


def _response_copy(filters: ReportFilters) -> tuple[str, list, list[str]]:
    """COPY of one row per response with a column per question (answers pivoted in SQL)."""
    responses = filters.responses()
    keys = _question_keys(responses)
    # Prefixed aliases: Django refuses an alias that is also a field name.
    columns = {f"x_{name}": value for name, value in zip(RESPONSE_COLUMNS, _response_values(), strict=True)}
    inner, params = responses.order_by().values(rid=F("pk"), **columns).query.sql_with_params()
    kinds = dict.fromkeys(RESPONSE_COLUMNS, "plain") | RESPONSE_KINDS
    select = _sql_columns(kinds)
    join = ""
    if keys:
        pivots = ", ".join(
            f"max(CASE WHEN q.key = %s THEN {ANSWER_VALUE} END) AS c{i}" for i in range(len(keys))
        )
        select += ", " + ", ".join(f"ans.c{i}" for i in range(len(keys)))
        join = (
            f"LEFT JOIN (SELECT a.response_id, {pivots} FROM surveys_answer a JOIN surveys_question q "  # noqa: S608
            "ON q.id = a.question_id WHERE a.response_id IN (SELECT rid FROM r) GROUP BY a.response_id) ans "
            "ON ans.response_id = r.rid "
        )
    # Only our own column names are formatted in; every value (filters, keys) is a parameter.
    sql = f"COPY (WITH r AS ({inner}) SELECT {select} FROM r {join}ORDER BY r.rid) TO STDOUT (FORMAT csv)"  # noqa: S608
    return sql, [*params, *keys], RESPONSE_COLUMNS + [f"q:{key}" for key in keys]


TICKET_PATHS = {
    "ticket_id": "external_id",
    "team": "team__name",
    "agent": "agent__name",
    "segment": "customer__segment",
}
TICKET_KINDS = {
    "opened_at": "time",
    "first_response_at": "time",
    "resolved_at": "time",
    "closed_at": "time",
    "complaint": "bool",
    "source": "text",
    "ticket_id": "text",
    "category": "text",
    "channel": "text",
    "team": "text",
    "agent": "text",
    "segment": "text",
}


def _ticket_copy(filters: ReportFilters) -> tuple[str, list, list[str]]:
    """COPY of the period's tickets with their service-level figures."""
    complaint_response = Q(pk__in=Response.objects.filter(is_complaint=True).values("invitation__ticket_id"))
    qs = (
        filters.tickets()
        .order_by()
        .annotate(
            complaint_any=ExpressionWrapper(
                Q(is_complaint=True) | complaint_response, output_field=BooleanField()
            )
        )
    )
    names = [n for n in TICKET_COLUMNS if n not in ("sla_response_met", "sla_resolution_met")]
    paths = {n: TICKET_PATHS.get(n, n) for n in names} | {"complaint": "complaint_any"}
    inner, params = qs.values(
        rid=F("pk"), **{f"x_{n}": F(p) for n, p in paths.items()}
    ).query.sql_with_params()
    met = ", ".join(
        SQL_BOOL.format(f'r."x_{time}" <= r."x_{target}"')
        for time, target in (
            ("first_response_s", "sla_response_target_s"),
            ("resolution_s", "sla_resolution_target_s"),
        )
    )
    select = _sql_columns(dict.fromkeys(names, "plain") | TICKET_KINDS) + ", " + met
    sql = f"COPY (WITH r AS ({inner}) SELECT {select} FROM r ORDER BY r.rid) TO STDOUT (FORMAT csv)"  # noqa: S608
    return sql, list(params), TICKET_COLUMNS


COPIES = {ExportKind.RESPONSES: _response_copy, ExportKind.TICKETS: _ticket_copy}


def _copy_csv_stream(record: DataExport, kind: str, filters: ReportFilters) -> Iterator[bytes]:
    sql, params, header = COPIES[kind](filters)
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    yield buffer.getvalue().encode()
    rows = 0
    for chunk in _copy_stream(sql, params):
        rows += chunk.count(b"\n")
        yield chunk
    _finish(record, rows)


def _filename(kind: str, filters: ReportFilters, fmt: str) -> str:
    return f"{kind}_{filters.start.isoformat()}_{filters.end.isoformat()}.{fmt}"


def export_response(*, user, kind: str, fmt: str, filters: ReportFilters):
    """The HTTP response of an export; the caller has checked the permission."""
    record = export_record(user=user, kind=kind, fmt=fmt, filters=filters)
    rows = ROWS[kind](filters)
    name = _filename(kind, filters, fmt)
    if fmt == ExportFormat.CSV:
        stream = (
            _copy_csv_stream(record, kind, filters)
            if connection.vendor == "postgresql"
            else _csv_stream(record, rows)
        )
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    count = -1
    for count, row in enumerate(rows):  # noqa: B007
        sheet.append([str(v) if hasattr(v, "isoformat") else v for v in row])
    # Spills to disk past 8 MB, so a large workbook does not sit in memory.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    _finish(record, max(count, 0))
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
