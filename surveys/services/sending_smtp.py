"""The SMTP side of sending: one reused connection of Django's mail backend per worker thread,
and SMTP errors sorted into "try again later" and "give up", the way surveys.services.sending
acts on them. Messages are Django's EmailMultiAlternatives, sent by the backend as they are."""

import contextlib
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import get_connection


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


class _Mailer(threading.local):
    """One SMTP connection per worker process (per thread, with a thread pool), reused while
    it is fresh.

    Opening a connection costs more than sending one message to a nearby relay; an idle
    connection is reopened rather than probed, since servers drop idle clients.
    """

    connection = None
    last_used = 0.0

    def send(self, message) -> None:
        now = time.monotonic()
        if self.connection is not None and now - self.last_used > settings.EMAIL_REUSE_SECONDS:
            self.close()
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        try:
            self.connection.send_messages([message])
        except BaseException:
            self.close()
            raise
        self.last_used = time.monotonic()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            # It is going away either way; a failing QUIT changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()


mailer = _Mailer()


def message_send(message) -> None:
    """Hand ``message`` to SMTP over this thread's connection.

    Raises TransientSendError or PermanentSendError; any other exception is a bug.
    """
    try:
        mailer.send(message)
    except Exception as exc:
        classified = smtp_error_classify(exc)
        if classified is exc:
            raise
        raise classified from exc
