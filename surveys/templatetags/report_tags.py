"""Tags of the report pages: the dashboard's long tables, row by row.

The dashboard shows a row per agent in its breakdown and in one of its drivers, and a select
with an option per agent: through the template engine's loops (or ``format_html`` per cell)
those rows cost about a ninth of the page's instructions at 10,000 responses
(docs/benchmarks.md). Each tag writes what the loop it replaces wrote, every value escaped as ``{{ }}`` escapes it
(Python's ``html.escape``, which Django's ``escape`` calls) and every count written as a
template writes it; tests/reports/test_report_tags.py holds each to its loop.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from ..reports.formatting import count

register = template.Library()

LINKED_HEADER = '<th scope="row"><a href="?{}#breakdown-title" data-breakdown-link>{}</a></th>'
HEADER = '<th scope="row">{}</th>'
CELL = '<td class="text-end" data-value="{}">{} <span class="text-body-secondary small">n={}</span></td>'
COUNT = '<td class="text-end">{}</td>'
OPTION = '<option value="{}"{}>{}</option>'
DRIVER_ROW = (
    '<tr><th scope="row">{}</th>'
    '<td class="text-end">{} <span class="text-body-secondary">n={}</span></td>'
    '<td class="text-end">{} <span class="text-body-secondary">n={}</span></td></tr>'
)


def _text(value) -> str:
    return escape(str(value))


def _header(row: dict) -> str:
    """A row's name, a link to the dashboard filtered to it when it has one."""
    if row.get("open_query"):
        return LINKED_HEADER.format(_text(row["open_query"]), _text(row["label"]))
    return HEADER.format(_text(row["label"]))


@register.simple_tag
def breakdown_rows(rows) -> str:
    """The breakdown's rows: the name, then per column the figure as shown, its n, and the
    unrounded value the table sorts by."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            "<tr>"
            + _header(row)
            + "".join(
                CELL.format(_text(cell["sort_value"]), _text(cell["display"]), _text(count(cell["n"])))
                for cell in row["cells"]
            )
            + "</tr>"
            for row in rows
        )
    )


@register.simple_tag
def distribution_rows(rows, key: str) -> str:
    """Time-bucket rows: the name, its tickets, then the tickets per bucket of ``key``
    ("response" or "resolution")."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            "<tr>"
            + _header(row)
            + COUNT.format(_text(count(row["n"])))
            + "".join(COUNT.format(_text(count(n))) for n in row[key])
            + "</tr>"
            for row in rows
        )
    )


@register.simple_tag
def driver_rows(rows) -> str:
    """A driver's rows: the value's label, its NPS and CSAT as shown, each with its n."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            DRIVER_ROW.format(
                _text(row["label"]),
                _text(row["nps_display"]),
                _text(count(row["nps_n"])),
                _text(row["csat_display"]),
                _text(count(row["csat_n"])),
            )
            for row in rows
        )
    )


@register.simple_tag
def id_options(pairs, chosen) -> str:
    """A filter's options, one per ``(pk, name)``: the chosen one selected. An agent filter has
    one per agent."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            OPTION.format(_text(count(pk) if isinstance(pk, int) else pk), " selected" if pk == chosen else "", _text(name))
            for pk, name in pairs
        )
    )
