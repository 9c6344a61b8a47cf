"""PostgreSQL: the exports' CSV written by COPY … TO STDOUT.

The same CSV as the Python writer in surveys/exports.py (UTC times to the second, True/False,
formula-safe text, choice labels beside codes), formatted by the database and streamed in
chunks, many times the rows per second.
"""

from collections.abc import Iterator

from django.db.models import F

from .export_columns import (
    SQL_FORMULA_SAFE,
    answer_header,
    label_language,
    question_keys,
    response_columns,
    ticket_columns,
)
from .models import ExportKind
from .replica import reports_connection
from .reports.filters import ReportFilters
from .reports.snapshot import report_transaction

SQL_TIME = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
SQL_BOOL = "CASE WHEN {0} THEN 'True' WHEN NOT {0} THEN 'False' END"
SQL_TEXT = SQL_FORMULA_SAFE
SQL_FORMATS = {"time": SQL_TIME, "bool": SQL_BOOL, "text": SQL_TEXT, "plain": "{}", "duration": "{}"}
# Formatted against formulas outside the pivot (once per cell, and codes as well as text).
ANSWER_VALUE = (
    "COALESCE(a.number::text, NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(a.choices)), ';'), ''), "
    "a.text)"
)
# The chosen codes' labels in the order chosen: the site's language, else English, else the code
# (Question.choice_label's rule). Formatted against formulas outside the pivot, once per cell.
ANSWER_LABEL = (
    "NULLIF(array_to_string(ARRAY("
    "SELECT COALESCE(NULLIF(ch.item ->> %s, ''), NULLIF(ch.item ->> 'en', ''), v.code) "
    "FROM jsonb_array_elements_text(a.choices) WITH ORDINALITY AS v(code, n) "
    "LEFT JOIN LATERAL (SELECT item FROM jsonb_array_elements(q.choices) AS item "
    "WHERE item ->> 'value' = v.code LIMIT 1) ch ON true ORDER BY v.n), ';'), '')"
)


def _copy_stream(sql: str, params) -> Iterator[bytes]:
    with report_transaction(), reports_connection().cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        yield from (bytes(chunk) for chunk in copy)


def _select(columns) -> str:
    return ", ".join(SQL_FORMATS[kind].format(f'r."x_{name}"') for name, _e, kind in columns)


def _response_copy(filters: ReportFilters) -> tuple[str, list, list[str]]:
    """COPY of one row per response with a column per question (answers pivoted in SQL)."""
    responses = filters.responses()
    keys = question_keys(responses)
    columns = response_columns()
    # Prefixed aliases: Django refuses an alias that is also a field name.
    inner, params = (
        responses.order_by()
        .values(rid=F("pk"), **{f"x_{name}": expr for name, expr, _k in columns})
        .query.sql_with_params()
    )
    select = _select(columns)
    join = ""
    pivot_params: list = []
    if keys:
        pivots, outer = [], []
        for i, (key, is_choice) in enumerate(keys):
            pivots.append(f"max(CASE WHEN q.key = %s THEN {ANSWER_VALUE} END) AS c{i}")
            pivot_params.append(key)
            outer.append(SQL_TEXT.format(f"ans.c{i}"))
            if is_choice:
                pivots.append(f"max(CASE WHEN q.key = %s THEN {ANSWER_LABEL} END) AS l{i}")
                pivot_params += [key, label_language()]
                outer.append(SQL_TEXT.format(f"ans.l{i}"))
        select += ", " + ", ".join(outer)
        join = (
            f"LEFT JOIN (SELECT a.response_id, {', '.join(pivots)} FROM surveys_answer a "  # noqa: S608
            "JOIN surveys_question q ON q.id = a.question_id "
            "WHERE a.response_id IN (SELECT rid FROM r) GROUP BY a.response_id) ans "
            "ON ans.response_id = r.rid "
        )
    # Only our own column names are formatted in; every value (filters, keys) is a parameter.
    sql = f"COPY (WITH r AS ({inner}) SELECT {select} FROM r {join}ORDER BY r.rid) TO STDOUT (FORMAT csv)"  # noqa: S608
    header = [name for name, _e, _k in columns] + answer_header(keys)
    return sql, [*params, *pivot_params], header


def _ticket_copy(filters: ReportFilters) -> tuple[str, list, list[str]]:
    """COPY of the period's tickets with their service-level figures."""
    columns = ticket_columns()
    inner, params = (
        filters.tickets()
        .order_by()
        .values(rid=F("pk"), **{f"x_{name}": expr for name, expr, _k in columns})
        .query.sql_with_params()
    )
    sql = f"COPY (WITH r AS ({inner}) SELECT {_select(columns)} FROM r ORDER BY r.rid) TO STDOUT (FORMAT csv)"  # noqa: S608
    return sql, list(params), [name for name, _e, _k in columns]


COPIES = {ExportKind.RESPONSES: _response_copy, ExportKind.TICKETS: _ticket_copy}


def copy_csv_chunks(kind: str, filters: ReportFilters) -> tuple[list[str], Iterator[bytes]]:
    """The header and the CSV body (bytes, no header) of an export, written by the database."""
    sql, params, header = COPIES[kind](filters)
    return header, _copy_stream(sql, params)
