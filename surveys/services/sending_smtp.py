"""The SMTP side of sending: one reused connection of Django's mail backend per worker thread,
raising SMTP errors sorted into "try again later" and "give up" (surveys/transient.py), the way
surveys.services.sending acts on them. Messages are Django's EmailMultiAlternatives, sent by the backend as they are."""

import contextlib
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import get_connection

from ..transient import smtp_error_classify


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
