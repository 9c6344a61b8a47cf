"""The one rule for "worth another try later" (transient) against "trying again cannot help"
(permanent), for every outside system the product talks to.

- **Database** (``db_error_is_transient``): the database momentarily unavailable or busy is
  transient, answered 503 to a sender; everything it refuses (a value out of range, a
  constraint, bad text) fails the same way on every retry, so it is answered as a permanent
  error — a sender told "retry" for those would retry forever.
- **SMTP** (``smtp_error_classify``): 4xx answers, refused or dropped connections and timeouts
  are transient; 5xx answers are permanent.
- **HTTP receivers** (``http_status_is_transient``): 5xx, 408 and 429 are transient; any other
  4xx is permanent. Network errors (``NETWORK_ERRORS``) are transient.
- **Celery** tasks retry on ``RETRY_ON``: services raise ``TransientSendError`` (classified) or
  let a network error through; anything else is a bug or a permanent refusal, not retried.
"""

import http.client
import smtplib
import sqlite3
import urllib.error

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


# --- Network and HTTP ---------------------------------------------------------------------
# Refused, reset or timed-out connections, DNS failures (URLError wraps them), a server that
# hung up mid-answer. socket.timeout is TimeoutError, an OSError like ConnectionError.
NETWORK_ERRORS = (
    ConnectionError,
    TimeoutError,
    urllib.error.URLError,
    http.client.HTTPException,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


def http_status_is_transient(code: int) -> bool:
    """A receiver's answer worth another try: a server error, a timeout or "too many"."""
    return code >= 500 or code in (408, 429)


# --- SMTP ---------------------------------------------------------------------------------
class TransientSendError(Exception):
    """Worth trying again later: 4xx SMTP answers, refused or dropped connections, timeouts.

    ``connection_lost`` says the server as a whole is out of reach (not one recipient refused),
    so the other emails of a batch would fail the same way.
    """

    def __init__(self, message: str, *, connection_lost: bool = False):
        super().__init__(message)
        self.connection_lost = connection_lost


class PermanentSendError(Exception):
    """Trying again cannot help: 5xx SMTP answers, no address."""


def _smtp_reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}"


def smtp_error_classify(exc: Exception) -> Exception:
    """Map an exception from the mail backend to TransientSendError or PermanentSendError.

    Returns the exception unchanged when it is neither (a bug, not a delivery problem).
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        text = "; ".join(_smtp_reply(code, msg) for code, msg in replies)
        if replies and all(400 <= code < 500 for code, _msg in replies):
            return TransientSendError(text)
        return PermanentSendError(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _smtp_reply(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            return PermanentSendError(reply)
        # 421 is the server closing the channel; -1 and friends, the connection broke mid-reply.
        return TransientSendError(
            reply, connection_lost=not 400 <= exc.smtp_code < 500 or exc.smtp_code == 421
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
    ):
        # Refused, reset, timed out, unreachable, name not resolved…
        return TransientSendError(f"{type(exc).__name__}: {exc}", connection_lost=True)
    return exc


# What a Celery task retries (autoretry_for): a classified transient send error, or the network.
RETRY_ON = (TransientSendError, *NETWORK_ERRORS)
