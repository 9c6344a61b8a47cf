"""Tags of the report pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

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
