"""Outbound-event fixtures: a subscription to every event, and receivers on loopback."""

import pytest

from surveys.models.outbound import SUBSCRIBABLE
from surveys.services.outbound import webhook_subscription_create


@pytest.fixture(autouse=True)
def _receivers_on_loopback(settings):
    # Every receiver in these tests listens on 127.0.0.1; one test turns this off again.
    settings.OUTBOUND_ALLOW_PRIVATE = True


def subscribe(url="http://127.0.0.1:9/hooks", events=None, **kwargs):
    return webhook_subscription_create(
        name=kwargs.pop("name", "CRM"),
        url=url,
        events=[e.value for e in SUBSCRIBABLE] if events is None else events,
        created_by=kwargs.pop("created_by", None),
        **kwargs,
    )
