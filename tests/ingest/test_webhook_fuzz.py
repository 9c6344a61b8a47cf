"""Whatever a sender puts in a signed body, the webhook answers 2xx or 400, never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.models import TicketEvent

from .helpers import event, post_event

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.sampled_from(["2026-11-24T10:00:00Z", "2026-11-24", "urgent", "x@y.org"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
PATHS = [
    ("event_id",), ("source",), ("type",), ("occurred_at",), ("ticket",), ("ticket", "id"),
    ("ticket", "priority"), ("ticket", "opened_at"), ("ticket", "closed_at"), ("ticket", "contact_count"),
    ("ticket", "is_complaint"), ("ticket", "agent"), ("ticket", "agent", "id"), ("ticket", "customer"),
    ("ticket", "customer", "email"), ("ticket", "customer", "locale"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=4))
def test_mutated_events_get_2xx_or_400_with_field_errors(client, changes):
    payload = event()
    for path, value in changes:
        target = payload
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                break
            target = target[key]
        else:
            target[path[-1]] = value
    before = TicketEvent.objects.count()

    response = post_event(client, payload)

    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 400:
        assert response.json()["errors"]
        assert TicketEvent.objects.count() == before
