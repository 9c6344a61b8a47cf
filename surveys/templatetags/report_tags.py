"""Tags of the report pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from ..reports.formatting import count

register = template.Library()

CELL = '<td class="text-end" data-value="{}">{} <span class="text-body-secondary small">n={}</span></td>'


@register.simple_tag
def breakdown_cells(cells) -> str:
    """A breakdown row's cells: the figure as shown, its n, and the unrounded value the table
    sorts by, each escaped as ``{{ }}`` escapes it (Python's ``html.escape``, which Django's
    ``escape`` calls). The dashboard has six hundred of them: through the template engine's
    loop, or ``format_html`` per cell, they cost about a twentieth of the page's CPU
    (docs/benchmarks.md). tests/reports/test_report_tags.py holds the tag to that loop."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            CELL.format(escape(str(cell["sort_value"])), escape(str(cell["display"])), escape(str(cell["n_display"])))
            for cell in cells
        )
    )


DRIVER_ROW = (
    '<tr><th scope="row">{}</th>'
    '<td class="text-end">{} <span class="text-body-secondary">n={}</span></td>'
    '<td class="text-end">{} <span class="text-body-secondary">n={}</span></td></tr>'
)


@register.simple_tag
def driver_rows(rows) -> str:
    """A driver's rows: the value's label, its NPS and CSAT as shown, each with its n (a count
    written as a template writes it). One factor has a row per agent; escaped as
    ``breakdown_cells``."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            DRIVER_ROW.format(
                escape(str(row["label"])),
                escape(str(row["nps_display"])),
                escape(count(row["nps_n"])),
                escape(str(row["csat_display"])),
                escape(count(row["csat_n"])),
            )
            for row in rows
        )
    )
