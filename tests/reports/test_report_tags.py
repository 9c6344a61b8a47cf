"""The report tags write what the template loops they replace wrote, escaping included."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from surveys.reports.figures import BREAKDOWN_COLUMNS
from surveys.templatetags.report_tags import breakdown_rows, distribution_rows, driver_rows, id_options
from tests.reports.conftest import PERIOD

HEADER = (
    '<th scope="row">{% if row.open_query %}<a href="?{{ row.open_query }}#breakdown-title" data-breakdown-link>'
    "{{ row.label }}</a>{% else %}{{ row.label }}{% endif %}</th>"
)
BREAKDOWN_LOOP = (
    "{% for row in rows %}<tr>" + HEADER + '{% for cell in row.cells %}<td class="text-end" '
    'data-value="{{ cell.sort_value }}">{{ cell.display }} <span class="text-body-secondary small">'
    "n={{ cell.n }}</span></td>{% endfor %}</tr>{% endfor %}"
)
DISTRIBUTION_LOOP = (
    "{% for row in rows %}<tr>" + HEADER + '<td class="text-end">{{ row.n }}</td>{% for count in row.KEY %}'
    '<td class="text-end">{{ count }}</td>{% endfor %}</tr>{% endfor %}'
)
DRIVER_LOOP = (
    '{% for row in rows %}<tr><th scope="row">{{ row.label }}</th>'
    '<td class="text-end">{{ row.nps_display }} <span class="text-body-secondary">n={{ row.nps_n }}</span></td>'
    '<td class="text-end">{{ row.csat_display }} <span class="text-body-secondary">n={{ row.csat_n }}</span></td>'
    "</tr>{% endfor %}"
)
HOSTILE = "<img src=x onerror=alert(1)> & 'Bob' \"O'Neil\""


def loop(source: str, rows: list) -> str:
    return Template(source).render(Context({"rows": rows}))


@pytest.mark.parametrize("grouping", [False, True])
def test_breakdown_rows_are_the_template_loop_they_replace(settings, grouping):
    settings.USE_THOUSAND_SEPARATOR = grouping
    rows = [
        {
            "label": "Agent 33",
            "open_query": "start=2026-01-01&agent=3&by=agent",
            "cells": [
                {"sort_value": "12.345678", "display": "12.3 %", "n": 123},
                {"sort_value": "", "display": "—", "n": 0},
            ],
        },
        {
            "label": HOSTILE,
            "open_query": '"><script>',
            "cells": [{"sort_value": '"><script>', "display": HOSTILE, "n": 12345}],
        },
        {"label": "—", "open_query": "", "cells": [{"sort_value": -1.5, "display": "2.0 h", "n": 7}]},
    ]
    assert breakdown_rows(rows) == loop(BREAKDOWN_LOOP, rows)
    assert "<script>" not in breakdown_rows(rows) and "<img" not in breakdown_rows(rows)
    assert breakdown_rows([]) == ""


@pytest.mark.parametrize("grouping", [False, True])
@pytest.mark.parametrize("key", ["resolution", "response"])
def test_distribution_rows_are_the_template_loop_they_replace(settings, grouping, key):
    settings.USE_THOUSAND_SEPARATOR = grouping
    rows = [
        {"label": "billing", "n": 12345, "response": [1, 2, 3, 4, 12335], "resolution": [5, 0, 0, 0, 12340]},
        {"label": HOSTILE, "n": 0, "response": [0] * 5, "resolution": [0] * 5},
    ]
    assert distribution_rows(rows, key) == loop(DISTRIBUTION_LOOP.replace("KEY", key), rows)


@pytest.mark.parametrize("grouping", [False, True])
def test_driver_rows_are_the_template_loop_they_replace(settings, grouping):
    settings.USE_THOUSAND_SEPARATOR = grouping
    rows = [
        {"label": "Agent 33", "nps_display": "78", "nps_n": 9, "csat_display": "100.0 %", "csat_n": 12345},
        {"label": HOSTILE, "nps_display": "—", "nps_n": 0, "csat_display": "—", "csat_n": 0},
    ]
    assert driver_rows(rows) == loop(DRIVER_LOOP, rows)
    assert "<img" not in driver_rows(rows)


@pytest.mark.django_db
def test_the_dashboards_breakdown_shows_each_cell_with_its_n(manager_client, scenario):
    html = manager_client.get(f"{reverse('surveys:reports')}?{PERIOD}").content.decode()
    table = html[html.index("report-sortable") :]
    row = table[table.index("Beth") :]
    row = row[: row.index("</tr>")]
    assert row.count('<td class="text-end" data-value="') == len(BREAKDOWN_COLUMNS)
    assert row.count("n=") == len(BREAKDOWN_COLUMNS)


OPTIONS_LOOP = (
    '{% for pk, name in rows %}<option value="{{ pk }}"{% if pk == chosen %} selected{% endif %}>{{ name }}'
    "</option>{% endfor %}"
)


@pytest.mark.parametrize("chosen", [None, 12345, 7, "7"])
def test_id_options_are_the_template_loop_they_replace(settings, chosen):
    pairs = [(7, "North"), (12345, HOSTILE), (8, "")]
    for grouping in (False, True):
        settings.USE_THOUSAND_SEPARATOR = grouping
        expected = Template(OPTIONS_LOOP).render(Context({"rows": pairs, "chosen": chosen}))
        assert id_options(pairs, chosen) == expected
