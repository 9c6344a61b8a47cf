from django.core.cache import cache

from surveys.services.health import HEARTBEAT_KEY, heartbeat_record


def test_healthz_reports_database_and_last_worker_heartbeat(client, db):
    cache.delete(HEARTBEAT_KEY)
    body = client.get("/healthz").json()
    assert body == {"database": True, "worker_last_seen": None}

    heartbeat_record()
    body = client.get("/healthz").json()
    assert body["database"] is True
    assert body["worker_last_seen"] is not None


def test_healthz_is_not_cached_and_get_only(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
