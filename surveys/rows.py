"""Rows in and out of the hot paths (ingest, sending) without the ORM's per-call query building.

A queryset costs 0.2–0.6 ms of CPU to build and compile every time it runs; the webhook runs
a handful of single-row statements per event, hundreds of events a second, so that was most of
a web worker's time (docs/benchmarks.md). Here each statement's SQL is built once per model
from its metadata (so columns cannot drift from the models), and values still go through the
fields' own ``pre_save`` / ``get_db_prep_save`` and database converters, exactly as
``Model.save()`` and querysets do. Model signals are not sent (no receiver listens to the
models written here).

On PostgreSQL statements use server-side parameters and are prepared once per connection
(``INGEST_PREPARED_STATEMENTS``, default on), which halves PostgreSQL's own CPU per statement.
Turn it off behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in
transaction mode). Statements still pass through Django's cursor wrapper: database errors
become ``django.db`` errors, ``execute_wrapper`` hooks and query logging (tests'
``django_assert_num_queries``) see them.
"""

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

try:
    import psycopg
except ImportError:  # SQLite-only installs
    psycopg = None

_NEVER_AUTOMATICALLY = 2**62

if psycopg is not None:

    class _PreparedCursor(psycopg.Cursor):
        """Server-side parameters, prepared on first use (Django's own cursors never prepare)."""

        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True, **kwargs)


def _db():
    # The connection itself: every attribute read through django.db.connection is a lookup.
    return connections[DEFAULT_DB_ALIAS]


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    """Run one statement that returns rows (SELECT, … RETURNING); its rows."""
    return _run(_db(), sql, params, True)


def _run(db, sql: str, params: Sequence, returns_rows: bool):
    if db.vendor != "postgresql" or psycopg is None or not settings.INGEST_PREPARED_STATEMENTS:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if returns_rows else None
    db.ensure_connection()
    started = time.monotonic()
    if db.execute_wrappers:  # someone is watching (e.g. a test): go through Django's cursor
        with db.make_cursor(_prepared_cursor(db.connection)) as cursor:
            cursor.execute(sql, params)
            result = cursor.fetchall() if returns_rows else None
    else:
        # What Django's cursor wrapper does, without a wrapper object per statement.
        db.validate_no_broken_transaction()
        with db.wrap_database_errors, _prepared_cursor(db.connection) as cursor:
            cursor.execute(sql, params)
            result = cursor.fetchall() if returns_rows else None
    if db.queries_logged:
        # What Django's debug cursor records (it cannot read a prepared statement's text back).
        db.queries_log.append(
            {"sql": db.ops.compose_sql(sql, params), "time": f"{time.monotonic() - started:.3f}"}
        )
    return result


def _prepared_cursor(raw):
    if raw.prepare_threshold is None:
        # Django connects with None, which makes psycopg ignore even an explicit prepare=True.
        # A threshold no query reaches keeps every other query unprepared (Django's own
        # cursors bind client-side and never prepare anyway).
        raw.prepare_threshold = _NEVER_AUTOMATICALLY
    return _PreparedCursor(raw)


def quote(name: str) -> str:
    return _db().ops.quote_name(name)


def columns(model: type[Model], alias: str = "") -> str:
    """The model's concrete columns, in field order, for a SELECT list."""
    return _columns(model, alias, _db().vendor)


@cache
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    prefix = f"{quote(alias)}." if alias else ""
    return ", ".join(prefix + quote(f.column) for f in model._meta.concrete_fields)


@cache
def _converters(model: type[Model], vendor: str) -> list:
    """(index, column expression, converters) for each field whose raw value needs converting,
    as the ORM's compiler applies them (e.g. JSON text → objects, SQLite text → aware datetimes)."""
    db = _db()
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        functions = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if functions:
            found.append((index, col, functions))
    return found


def convert(model: type[Model], name: str, value):
    """A raw value of the model's field ``name`` (or of an expression of its type) as the ORM
    would return it."""
    db = _db()
    for _index, col, functions in _converters(model, db.vendor):
        if col.target.name == name:
            for function in functions:
                value = function(value, col, db)
    return value


def instance(model: type[Model], values: Sequence):
    """A model instance from a row selected with ``columns(model)`` (values in field order)."""
    db = _db()
    values = list(values)
    for index, col, functions in _converters(model, db.vendor):
        value = values[index]
        for function in functions:
            value = function(value, col, db)
        values[index] = value
    return model.from_db(db.alias, None, values)


# Field types whose value of exactly this Python type PostgreSQL's driver takes as it is: for
# them get_db_prep_save() returns the value unchanged, so calling it (a dozen calls deep, for
# each of ~60 values an event writes) is skipped. Anything else, and every value on SQLite,
# goes through get_db_prep_save().
_AS_IS = {
    "CharField": str,
    "TextField": str,
    "BooleanField": bool,
    "DateTimeField": datetime,  # aware ones only (USE_TZ): see _values()
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "PositiveBigIntegerField",
        ),
        int,
    ),
}


def _plans(fields, vendor: str) -> tuple:
    """(field, calls pre_save, the Python type it takes as it is or None) for each field."""
    plans = []
    for f in fields:
        kind = (f.target_field if f.is_relation else f).get_internal_type()
        as_is = _AS_IS.get(kind) if vendor == "postgresql" else None
        calls = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        plans.append((f, calls or type(f).pre_save is not _plain_pre_save, as_is))
    return tuple(plans)


_plain_pre_save = Field.pre_save


def _values(obj: Model, plans: tuple, db, *, add: bool) -> list:
    values = []
    for f, calls_pre_save, as_is in plans:
        value = f.pre_save(obj, add) if calls_pre_save else getattr(obj, f.attname)
        if value is None or (type(value) is as_is and (as_is is not datetime or value.tzinfo is not None)):
            values.append(value)
        else:
            values.append(f.get_db_prep_save(value, db))
    return values


@cache
def _insert_plan(model: type[Model], on_conflict: str, vendor: str) -> tuple[str, tuple]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    names = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's metadata and the caller's constant, values are parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({values})"  # noqa: S608
    if on_conflict:
        sql += f" ON CONFLICT {on_conflict}"
    return f"{sql} RETURNING {quote(meta.pk.column)}", _plans(fields, vendor)


def insert(obj: Model, *, on_conflict: str = "") -> bool:
    """INSERT the instance (every concrete field but the primary key, after each field's
    ``pre_save``, so ``auto_now`` applies as in ``save()``) and set its pk. ``on_conflict`` is
    SQL after ``ON CONFLICT`` (a constant, e.g. ``(source, event_id) DO NOTHING``); returns
    False, with nothing written, when it skipped the row."""
    db, model = _db(), type(obj)
    sql, plans = _insert_plan(model, on_conflict, db.vendor)
    rows = _run(db, sql, _values(obj, plans, db, add=True), True)
    if not rows:
        return False
    obj.pk = rows[0][0]
    obj._state.adding = False
    obj._state.db = db.alias
    return True


@cache
def _update_plan(model: type[Model], names: tuple[str, ...] | None, vendor: str) -> tuple[str, tuple]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and not getattr(f, "auto_now_add", False)]
    if names is not None:
        fields = [f for f in fields if f.name in names or f.attname in names or getattr(f, "auto_now", False)]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Identifiers come from the model's metadata, values are parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return sql, _plans(fields, vendor)


def update(obj: Model, names: Iterable[str] | None = None) -> None:
    """UPDATE the instance's row: the named fields, or every concrete field but the pk and
    ``auto_now_add`` ones (as ``save()`` would). ``auto_now`` fields are always refreshed."""
    db, model = _db(), type(obj)
    sql, plans = _update_plan(model, None if names is None else tuple(sorted(names)), db.vendor)
    params = _values(obj, plans, db, add=False)
    params.append(model._meta.pk.get_db_prep_value(obj.pk, db))
    _run(db, sql, params, False)
