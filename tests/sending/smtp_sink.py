"""A real SMTP server on a free loopback port (aiosmtpd) that records what it accepts.

It can be told to answer DATA with given replies (421 for a while, 550 for good) and to run
a hook when a client starts a message, which the crash test uses to kill a worker mid-send.
"""

import email
import email.policy
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable

from aiosmtpd.controller import Controller

TOKEN_IN_UNSUBSCRIBE = re.compile(r"/u/([^/>]+)/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.data_commands = 0
        self.mail_commands = 0
        self.replies: list[str] = []  # answers for the next DATA commands, then "250"
        self.always: str | None = None  # answer every DATA with this
        self.on_mail: Callable[[int], None] | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.mail_commands += 1
            count = self.mail_commands
        if self.on_mail is not None:
            self.on_mail(count)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            if self.always:
                return self.always
            if self.replies:
                return self.replies.pop(0)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    # --- reading what arrived -------------------------------------------------------------
    def tokens(self) -> list[str]:
        with self.lock:
            messages = list(self.messages)
        found = []
        for message in messages:
            match = TOKEN_IN_UNSUBSCRIBE.search(str(message["List-Unsubscribe"] or ""))
            found.append(match.group(1) if match else "")
        return found

    def token_counts(self) -> Counter:
        return Counter(self.tokens())


class SmtpSink:
    def __init__(self):
        self.port = free_port()
        self.handler = SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
