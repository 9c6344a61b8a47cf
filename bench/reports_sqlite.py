"""The reports bench on SQLite, the embedded default: the PostgreSQL bench data copied into a
SQLite file with the ORM, the rollups rebuilt there, then the same timed pages.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>_reports_100k \
        .venv/bin/python bench/bench_reports.py --tickets 333334 --responses 100000 \
        --sqlite var/bench_reports.sqlite3

The PostgreSQL database is filled first as without --sqlite (reused at the same scale); the
SQLite file is rebuilt whenever its counts differ from it. With --no-copy the file is timed as
it is (migrated, its rollups refreshed), without PostgreSQL.
"""

import os
import time

from reports_data import TABLES

SOURCE = "bench_source"


def use_sqlite(path: str, source_url: str | None) -> None:
    """Before django.setup(): the default database is the SQLite file, the PostgreSQL bench
    database (unless None: --no-copy) an extra alias the data is copied from."""
    import environ

    os.environ["DATABASE_URL"] = f"sqlite:///{os.path.abspath(path)}"
    if source_url is None:
        return
    from django.conf import settings

    settings.DATABASES[SOURCE] = environ.Env.db_url_config(source_url)


def _models():
    """The bench's source tables' models (not the rollups: rebuilt on SQLite), in TABLES order."""
    from django.apps import apps

    by_table = {m._meta.db_table: m for m in apps.get_app_config("surveys").get_models()}
    rollups = TABLES[TABLES.index("surveys_ticketfact") :]
    return [by_table[t] for t in TABLES if t not in rollups]


def copy_from_source(batch: int = 5000) -> dict:
    """Empty the SQLite tables and copy every row of the bench's tables from PostgreSQL."""
    from django.db import connection, transaction

    steps = {}
    models = _models()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608 (our own names)
        for model in reversed(models):
            t = time.perf_counter()
            names = [f.attname for f in model._meta.concrete_fields]
            rows = model.objects.using(SOURCE).order_by("pk").values_list(*names).iterator(chunk_size=batch)
            chunk = []
            for row in rows:
                chunk.append(model(**dict(zip(names, row, strict=True))))
                if len(chunk) == batch:
                    model.objects.bulk_create(chunk)
                    chunk = []
            if chunk:
                model.objects.bulk_create(chunk)
            steps[model._meta.db_table.removeprefix("surveys_")] = time.perf_counter() - t
    return steps
