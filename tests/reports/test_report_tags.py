"""The report tags write what the template loop they replace wrote, escaping included."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from surveys.reports.figures import BREAKDOWN_COLUMNS
from surveys.templatetags.report_tags import breakdown_cells
from tests.reports.conftest import PERIOD

LOOP = (
    '{% for cell in cells %}<td class="text-end" data-value="{{ cell.sort_value }}">{{ cell.display }} '
    '<span class="text-body-secondary small">n={{ cell.n_display }}</span></td>{% endfor %}'
)


def test_breakdown_cells_are_the_template_loop_they_replace():
    cells = [
        {"sort_value": "12.345678", "display": "12.3 %", "n_display": "123"},
        {"sort_value": "", "display": "—", "n_display": "0"},
        {"sort_value": '"><script>', "display": "<b>'x' & \"y\"</b>", "n_display": "1,234"},
        {"sort_value": -1.5, "display": "2.0 h", "n_display": 7},
    ]
    expected = Template(LOOP).render(Context({"cells": cells}))
    assert breakdown_cells(cells) == expected
    assert "<script>" not in breakdown_cells(cells)
    assert breakdown_cells([]) == ""


@pytest.mark.django_db
def test_the_dashboards_breakdown_shows_each_cell_with_its_n(manager_client, scenario):
    html = manager_client.get(f"{reverse('surveys:reports')}?{PERIOD}").content.decode()
    table = html[html.index("report-sortable") :]
    row = table[table.index("Beth") :]
    row = row[: row.index("</tr>")]
    assert row.count('<td class="text-end" data-value="') == len(BREAKDOWN_COLUMNS)
    assert row.count("n=") == len(BREAKDOWN_COLUMNS)
