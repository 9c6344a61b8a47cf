"""The metrics API's per-user rate limit: the 429 its schema documents."""

import pytest
from django.core.cache import cache

from surveys.api.errors import MetricsRateThrottle

pytestmark = pytest.mark.django_db
URL = "/api/metrics/summary/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_requests_past_the_rate_are_429_with_retry_after_per_user(manager_client, agent_client, monkeypatch):
    monkeypatch.setattr(MetricsRateThrottle, "rate", "2/minute")
    assert [manager_client.get(URL).status_code for _ in range(2)] == [200, 200]

    refused = manager_client.get(URL)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert agent_client.get(URL).status_code == 200  # each user has their own allowance


def test_the_default_rate_is_1200_a_minute():
    assert MetricsRateThrottle().num_requests == 1200
    assert MetricsRateThrottle().duration == 60
