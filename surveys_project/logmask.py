"""Survey and opt-out tokens out of every log line (docs/deploy.md, "Logs").

A token in ``/s/<token>/`` or ``/u/<token>/`` is the customer's only credential, so whoever
reads an access log must not be able to answer or opt out as the customer. Paths, query
strings, referers (the survey page's own static files carry it as Referer) and any other
logged text are masked to ``/s/[token]/``.
"""

import logging
import re

from gunicorn.glogging import Logger

TOKEN_IN_PATH = re.compile(r"(/[su]/)[^/?#\s\"']{4,}")
MASK = r"\1[token]"


def token_mask(text: str) -> str:
    return TOKEN_IN_PATH.sub(MASK, text)


class TokenMaskFilter(logging.Filter):
    """A handler filter: rewrites the record's message with tokens masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = token_mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with every access-log atom masked (``--logger-class`` in Procfile)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: token_mask(value) if isinstance(value, str) else value for key, value in atoms.items()}
