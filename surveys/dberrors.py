"""The one rule for "transient" database errors: worth retrying later, answered 503.

Everything else the database refuses (a value out of range, a constraint, bad text) fails the
same way on every retry, so callers answer it as a permanent error: a sender told "retry" for
those would retry forever (issue 11).
"""

import sqlite3

import psycopg
from django.db import DatabaseError, InterfaceError, OperationalError

# SQLSTATE codes (PostgreSQL appendix A): the serialization failure and deadlock a retry of
# the whole transaction resolves, and the server going away or not yet accepting connections.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})
# Class 08: connection exceptions (lost, refused, broken while sending).
TRANSIENT_SQLSTATE_CLASSES = ("08",)


def db_error_is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (a Django DatabaseError, or the driver's own) is the database being
    momentarily unavailable or busy, not the data being wrong.

    Transient: connection lost or refused (psycopg's OperationalError with no SQLSTATE, class
    08, an InterfaceError on a closed connection), serialization failure, deadlock, server
    shutting down or starting, too many connections; SQLite's "database is locked/busy".
    Permanent: the rest (DataError, IntegrityError, ProgrammingError, SQLite's other
    OperationalErrors such as "no such table").
    """
    if isinstance(exc, InterfaceError):
        return True
    cause = exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ is not None else exc
    if isinstance(cause, sqlite3.OperationalError):
        message = str(cause).lower()
        return "locked" in message or "busy" in message
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith(TRANSIENT_SQLSTATE_CLASSES)
    # No SQLSTATE: the server never answered (connection refused, closed, timed out). The
    # DB-API's OperationalError is "an unexpected disconnect" and the like, not bad data.
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError | OperationalError)
