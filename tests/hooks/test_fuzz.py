"""Whatever a helpdesk puts in a correctly signed body, the endpoint answers 200, 202 or 400 —
never a 500 — and a 400 stores nothing. Each case replaces one value anywhere in a vendor's
own close fixture with any JSON value."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.models import TicketEvent

from .helpers import connection, deliver, fixture_json
from .test_vendors import CASES

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "2026-11-24T10:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59Z",
            "a\x00b",
            "\ud800",
            "{{ticket.id}}",
            "-",
            "resolved",
            "open",
            "closed",
            "x@y.org",
            1e308,
            2**40,
        ]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict) and len(prefix) < 4:
        for key, child in value.items():
            yield from paths(child, (*prefix, key))


def replaced(data, path, new):
    if not path:
        return new
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return data


@pytest.mark.parametrize("kind", list(CASES))
def test_any_value_anywhere_in_a_signed_body_is_answered_without_a_5xx(kind, client):
    conn = connection(kind)
    original = fixture_json(kind, CASES[kind]["close"])

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(list(paths(original))), value=json_values)
    def check(path, value):
        before = TicketEvent.objects.count()
        body = json.dumps(replaced(original, path, value)).encode()

        response = deliver(client, conn, body)

        assert response.status_code in (200, 202, 400), (path, value, response.content)
        if response.status_code == 400:
            assert TicketEvent.objects.count() == before

    check()
