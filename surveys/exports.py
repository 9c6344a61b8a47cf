"""Exports of responses and tickets as CSV (streamed, constant memory) and XLSX.

Rows are read with server-side cursors and written as they come; answers are read in
response order beside the responses and merged, so memory does not grow with the export.
Every export is recorded (who, when, which filters, how many rows). The columns are listed
in surveys/export_columns.py; on PostgreSQL the CSV is written by COPY (surveys/exports_copy.py);
the workbook is written by surveys/exports_xlsx.py.
"""

import csv
import io
from collections.abc import Iterator

from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .export_columns import (
    BOM,
    answer_header,
    cell,
    label_language,
    question_keys,
    response_columns,
    ticket_columns,
)
from .exports_copy import copy_csv_chunks
from .exports_xlsx import workbook_write
from .models import CHOICE_KINDS, Answer, DataExport, ExportFormat, ExportKind, Question
from .reports.filters import ReportFilters

CHUNK = 2000


def _choice_labels(responses) -> dict[int, dict[str, str]]:
    """Per choice question: code -> label in the site's language (else English, else the code)."""
    language = label_language()
    questions = Question.objects.filter(
        questionnaire_id__in=responses.values("invitation__questionnaire_id"), kind__in=CHOICE_KINDS
    ).values_list("pk", "choices")
    labels = {}
    for pk, choices in questions:
        mapping = {}
        for choice in choices or []:
            code = str(choice.get("value"))
            mapping.setdefault(code, choice.get(language) or choice.get("en") or code)
        labels[pk] = mapping
    return labels


def _answer_cells(number, choices, text, labels: dict[str, str] | None):
    """The answer as a value (score, codes joined by ';' or text) and its choices' labels."""
    if number is not None:
        return number, None
    if choices:
        codes = [str(c) for c in choices]
        return ";".join(codes), ";".join((labels or {}).get(c, c) for c in codes)
    return text, None


def response_rows(filters: ReportFilters) -> Iterator[list]:
    """The header, then one row per response (typed values: datetimes, numbers, text, None):
    its fields, its ticket's, then one per question and a label column beside each choice."""
    responses = filters.responses()
    keys = question_keys(responses)
    columns = response_columns()
    header = [name for name, _e, _k in columns] + answer_header(keys)
    yield header
    fixed = len(columns)
    value_at = {key: header.index(f"q:{key}") - fixed for key, _c in keys}
    labels = _choice_labels(responses)
    rows = (
        responses.order_by("pk")
        .annotate(**{f"x_{name}": expr for name, expr, _k in columns})
        .values_list("pk", *(f"x_{name}" for name, _e, _k in columns))
    )
    answers = (
        Answer.objects.filter(response__in=responses.values("pk"))
        .order_by("response_id")
        .values_list("response_id", "question_id", "question__key", "number", "choices", "text")
        .iterator(chunk_size=CHUNK)
    )
    width = len(header) - fixed
    pending = next(answers, None)
    for row in rows.iterator(chunk_size=CHUNK):
        cells = [None] * width
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0] and pending[2] in value_at:
                at = value_at[pending[2]]
                value, label = _answer_cells(*pending[3:], labels.get(pending[1]))
                cells[at] = value
                if label is not None:
                    cells[at + 1] = label
            pending = next(answers, None)
        yield [*row[1:], *cells]


def ticket_rows(filters: ReportFilters) -> Iterator[list]:
    """The header, then one row per ticket of the period with its service-level figures."""
    columns = ticket_columns()
    yield [name for name, _e, _k in columns]
    rows = (
        filters.tickets()
        .order_by("pk")
        .annotate(**{f"x_{name}": expr for name, expr, _k in columns})
        .values_list(*(f"x_{name}" for name, _e, _k in columns))
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield list(row)


ROWS = {ExportKind.RESPONSES: response_rows, ExportKind.TICKETS: ticket_rows}


def export_record(*, user, kind: str, fmt: str, filters: ReportFilters) -> DataExport:
    """Log an export before it starts: an export that fails half-way is still on record."""
    record = DataExport(user=user, kind=kind, format=fmt, filters=filters.as_record())
    record.full_clean()
    record.save()
    return record


def export_finish(record: DataExport, rows: int) -> None:
    DataExport.objects.filter(pk=record.pk).update(rows=rows, finished_at=timezone.now())


def _csv_stream(record: DataExport, rows: Iterator[list], *, bom: bool = True) -> Iterator[str]:
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer)
    count = -1  # the header is not a row of data
    for count, row in enumerate(rows):  # noqa: B007 - the count is kept after the loop
        writer.writerow([cell(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
    export_finish(record, max(count, 0))


def _copy_csv_stream(record: DataExport, kind: str, filters: ReportFilters, *, bom: bool = True):
    """The same CSV as ``_csv_stream``, written by PostgreSQL's COPY."""
    header, chunks = copy_csv_chunks(kind, filters)
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    csv.writer(buffer).writerow(header)
    yield buffer.getvalue().encode()
    rows = 0
    for chunk in chunks:
        rows += chunk.count(b"\n")
        yield chunk
    export_finish(record, rows)


def _filename(kind: str, filters: ReportFilters, fmt: str) -> str:
    return f"{kind}_{filters.start.isoformat()}_{filters.end.isoformat()}.{fmt}"


def export_response(*, user, kind: str, fmt: str, filters: ReportFilters, bom: bool = True):
    """The HTTP response of an export; the caller has checked the permission.

    ``bom``: start the CSV with a UTF-8 byte order mark (what Excel needs to read UTF-8).
    """
    record = export_record(user=user, kind=kind, fmt=fmt, filters=filters)
    rows = ROWS[kind](filters)
    name = _filename(kind, filters, fmt)
    if fmt == ExportFormat.CSV:
        stream = (
            _copy_csv_stream(record, kind, filters, bom=bom)
            if connection.vendor == "postgresql"
            else _csv_stream(record, rows, bom=bom)
        )
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    spool, count = workbook_write(rows, title=kind)
    export_finish(record, count)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
