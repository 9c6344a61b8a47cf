"""Shared fixtures: personas, and the rule for tests that need real services.

Tests marked ``integration`` (PostgreSQL + Redis + a real Celery worker), ``postgres`` or
``browser`` (Chromium) skip with a visible reason when the service is missing, except under
``REQUIRE_SERVICES=1`` (set by .ci/run), where a missing service fails the test.
"""

import os
import shutil
from functools import cache

import pytest
from django.conf import settings
from django.test import Client

from surveys.roles import AGENTS, DESIGNERS, MANAGERS
from tests.factories import AgentFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@cache
def missing_postgres() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: run with DATABASE_URL=postgres://…"
    return None


@cache
def missing_redis() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return "needs Redis: run with REDIS_URL=redis://…"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"needs Redis: {url} did not answer ({exc})"
    return None


@cache
def missing_chromium() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)"
    return None


NEEDS = {
    "integration": (missing_postgres, missing_redis),
    "postgres": (missing_postgres,),
    "redis": (missing_redis,),
    "browser": (missing_chromium,),
}


def pytest_configure(config):
    """This test run's own cache key prefix. The Redis cache is shared by every process on the
    machine (a developer's server, a second test run, a benchmark's workers); with the default
    prefix one of them could fill an entry, such as the cached brand, between a test's delete
    and its read. Processes a test starts inherit the prefix through the environment."""
    import uuid

    from django.test import override_settings

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    os.environ["CACHE_KEY_PREFIX"] = prefix
    caches = {name: {**options, "KEY_PREFIX": prefix} for name, options in settings.CACHES.items()}
    override_settings(CACHES=caches).enable()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for marker, checks in NEEDS.items():
        if item.get_closest_marker(marker) is None:
            continue
        for check in checks:
            reason = check()
            if reason:
                if REQUIRE_SERVICES:
                    pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
                pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, autovacuum never analyzes the test database's tables. Each test's rows
    are rolled back, so an automatic ANALYZE between tests finds a table empty and records
    0 rows; a module fixture that then commits thousands (the demo data) is planned as
    empty, with nested loops over every pair of rows: one statement ran for minutes in CI.
    Never analyzed, the planner estimates from the table's actual size instead."""
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True) or [connections["default"]]:
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                for (table,) in cursor.fetchall():
                    name = connection.ops.quote_name(table)
                    cursor.execute(f"ALTER TABLE {name} SET (autovacuum_enabled = false)")


@pytest.fixture(autouse=True)
def _no_remembered_redis_outage(monkeypatch):
    # surveys/cache.py remembers per process which Redis servers failed (one warning a
    # minute, a retry window); a test must not inherit another's outage of a reused port.
    monkeypatch.setattr("surveys.cache._OUTAGES", {})


@pytest.fixture(autouse=True)
def _no_cached_brand():
    # The brand is cached in Redis across processes (surveys/selectors_brand.py); a brand a
    # previous test saved must not show on this test's pages after its rows were rolled back.
    from django.core.cache import cache

    from surveys.selectors_brand import CACHE_KEY

    cache.delete(CACHE_KEY)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is deliberately slow; tests create many users and need no protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Personas ---------------------------------------------------------------------------
@pytest.fixture
def roles(db):
    """The staff groups. The data migration creates them, but a transactional test's flush
    empties the table, so every persona makes sure they are there."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from surveys.roles import ROLES, roles_apply

    # A flush gives the content types new ids while this process's ContentType cache keeps the
    # old ones, and the permissions recreated after it may then miss: start from the database.
    ContentType.objects.clear_cache()
    create_permissions(apps.get_app_config("surveys"), verbosity=0)
    roles_apply(group_model=Group, permission_model=Permission)
    return ROLES


@pytest.fixture
def designer(roles):
    return UserFactory(username="designer", groups=[DESIGNERS])


@pytest.fixture
def manager(roles):
    return UserFactory(username="manager", groups=[MANAGERS])


@pytest.fixture
def agent_user(roles):
    user = UserFactory(username="agent", groups=[AGENTS], is_staff=False)
    AgentFactory(user=user, name="Agent Smith")
    return user


@pytest.fixture
def outsider(roles):
    """Staff, so the admin lets them in, but in no group: every model page is forbidden."""
    return UserFactory(username="outsider")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def designer_client(designer):
    return _client_for(designer)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def agent_client(agent_user):
    return _client_for(agent_user)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)
