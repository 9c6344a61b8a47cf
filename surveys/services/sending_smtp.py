"""The SMTP side of sending: one reused connection per worker thread, the invitation in its
wire form, and SMTP errors sorted into "try again later" and "give up", the way
surveys.services.sending acts on them."""

import contextlib
import re
import secrets
import smtplib
import threading
import time
from email.header import Header
from email.utils import formatdate, getaddresses
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import (
    ADDRESS_HEADERS,
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    BadHeaderError,
    sanitize_address,
)


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


# --- The wire form -------------------------------------------------------------------------
# Django builds a message with Python's email package, whose generator (header folding, the
# boundary search, quoted-printable) cost more than everything else about an invitation put
# together (bench/bench_dispatch.py). An invitation is always the same shape (one recipient,
# a UTF-8 text body and its HTML alternative, a few headers), so it is written out directly;
# anything of another shape goes Django's way. tests/sending/test_wire.py holds the two equal.
_sender_sanitize = lru_cache(maxsize=64)(sanitize_address)  # the same few senders every time
# An address like this is already what sanitize_address would make of it, and most are.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _recipient(address: str) -> str:
    return address if _PLAIN_ADDRESS.fullmatch(address) else sanitize_address(address, "utf-8")


CRLF = "\r\n"


def _header(name: str, value) -> str:
    # Django's rules: no line breaks (header injection), addresses sanitized, encoded words for
    # anything else not ASCII; folded as Python would, but only when a line would be too long.
    value = str(value)  # may be lazy
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for header {name!r})")
    if not value.isascii():
        if name.lower() in ADDRESS_HEADERS:
            value = ", ".join(sanitize_address(address, "utf-8") for address in getaddresses((value,)))
        else:
            return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}{CRLF}"
    if len(name) + len(value) + 2 > 78:
        value = Header(value, header_name=name).encode(linesep=CRLF)
    return f"{name}: {value}{CRLF}"


_LONG_LINE = re.compile(rb"[^\n]{%d}" % (RFC5322_EMAIL_LINE_LENGTH_LIMIT + 1))


def _part(mimetype: str, content: str) -> bytes | None:
    body = content.encode().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if _LONG_LINE.search(body):
        return None  # needs quoted-printable: Django's way
    encoding = "7bit" if body.isascii() else "8bit"
    head = f'Content-Type: {mimetype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}'
    return head.encode() + body.replace(b"\n", b"\r\n")


def message_wire(message) -> tuple[str, list[str], bytes] | None:
    """The envelope sender, the recipients and the bytes to send for an invitation-shaped
    message (a text body, one HTML alternative, one recipient, UTF-8, a Message-ID, no
    attachments); None for any other message."""
    extra = {name.lower(): (name, value) for name, value in message.extra_headers.items()}
    if (
        type(message) is not EmailMultiAlternatives
        or message.content_subtype != "plain"
        or (message.encoding or settings.DEFAULT_CHARSET).lower() not in ("utf-8", "utf8")
        or message.attachments
        or len(message.alternatives) != 1
        or message.alternatives[0][1] != "text/html"
        or len(message.to) != 1
        or message.cc
        or message.bcc
        or message.reply_to
        or "message-id" not in extra
    ):
        return None
    text = _part("text/plain", message.body)
    html = _part("text/html", message.alternatives[0][0])
    if text is None or html is None:
        return None
    boundary = f"=_{secrets.token_hex(16)}"
    while boundary.encode() in text or boundary.encode() in html:
        boundary = f"=_{secrets.token_hex(16)}"

    date = extra.pop("date", ("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    head = "".join(
        [
            _header("Subject", message.subject),
            _header("From", extra.pop("from", ("From", message.from_email))[1]),
            _header("To", message.to[0]),
            _header(*date),
            *(
                _header(name, value)
                for key, (name, value) in extra.items()
                if key not in {"to", "cc", "reply-to"}
            ),
            f'MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}',
        ]
    )
    data = b"".join(
        [
            head.encode(),
            f"--{boundary}{CRLF}".encode(),
            text,
            f"{CRLF}--{boundary}{CRLF}".encode(),
            html,
            f"{CRLF}--{boundary}--{CRLF}".encode(),
        ]
    )
    return _sender_sanitize(message.from_email, "utf-8"), [_recipient(message.to[0])], data


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
        wire = message_wire(message) if isinstance(self.connection, SMTPBackend) else None
        try:
            if wire is None:
                self.connection.send_messages([message])
            else:
                self.connection.connection.sendmail(*wire)
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
