"""Publishing one task message to a Redis broker for a quarter of ``apply_async``'s CPU.

The webhook publishes one ``invitation_send`` message per invitation, after its commit. Through
``apply_async`` that publish cost about 370 µs of CPU in the web process (Celery's routing and
option merging, kombu's retry wrapper, and a new redis-py client object for every message),
a fifth of the whole request; this way it costs about 90 µs (docs/benchmarks.md).

:class:`LeanPublisher` makes the same message for less: the first publish in a process sends
one message through Celery's own machinery into a private in-memory kombu transport, and that
message, exactly as Celery and kombu made it, becomes the template. Every publish after that
copies the template with a new task id, delivery tag and arguments and pushes it with one
``LPUSH`` on a redis-py client the process keeps. What a worker receives is the same message,
field for field (tests/sending/test_publish.py compares the two with the installed Celery).

It steps aside, and ``apply_async`` is used, whenever its shortcut would not be the same thing:
a broker that is not plain Redis, a countdown, a ``global_keyprefix``, a route to an exchange
or a priority. Signals ``before_task_publish``/``after_task_publish`` are not sent for these
messages; nothing in this project listens to them.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from kombu import Connection
from kombu.transport import memory
from kombu.transport.virtual import BrokerState
from kombu.utils.json import dumps, loads


class _CaptureChannel(memory.Channel):
    """Keeps what is published in a list of its own instead of the shared in-memory queues."""

    def _put(self, queue, message, **kwargs):
        self.connection.captured.append((queue, message))


class _CaptureTransport(memory.Transport):
    Channel = _CaptureChannel
    state = BrokerState()

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self.captured: list[tuple[str, dict]] = []


@dataclass(frozen=True)
class _Template:
    queue: str
    message: dict
    embed: dict
    content_encoding: str


def capture_message(app, task_name: str, args: tuple) -> tuple[str, dict]:
    """The (queue, message) Celery and kombu would push to a virtual transport for this task."""
    with Connection(transport=_CaptureTransport) as connection:
        app.tasks[task_name].apply_async(args, connection=connection)
        captured = connection.transport.captured
    if len(captured) != 1:
        raise RuntimeError(f"expected one captured message, got {len(captured)}")
    return captured[0]


class LeanPublisher:
    """Publishes one task's messages straight to Redis. One per task name and process."""

    def __init__(self, app, task_name: str):
        self.app = app
        self.task_name = task_name
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._client = None
        self._template: _Template | None = None
        self._usable: bool | None = None

    def usable(self) -> bool:
        """Whether the broker is one this shortcut reproduces exactly."""
        if self._usable is not None:  # decided for good (a route or encoding it cannot copy)
            return self._usable
        conf = self.app.conf
        scheme = urlsplit(conf.broker_url or "").scheme
        options = conf.broker_transport_options or {}
        return scheme in ("redis", "rediss") and not options.get("global_keyprefix")

    def publish(self, args: tuple) -> str:
        """Push one message; returns its task id. Raises what redis-py raises."""
        client, template = self._ready()
        task_id = str(uuid.uuid4())
        body = dumps([list(args), {}, template.embed]).encode(template.content_encoding)
        message = dict(template.message)
        message["body"] = base64.b64encode(body).decode("ascii")
        # As Celery links a message to the task that sends it (the template may have been
        # captured inside another task, so nothing of that kind is taken from it).
        parent = self.app.current_worker_task
        message["headers"] = {
            **template.message["headers"],
            "id": task_id,
            "root_id": (parent.request.root_id or parent.request.id) if parent else task_id,
            "parent_id": parent.request.id if parent else None,
            "argsrepr": repr(tuple(args)),
        }
        properties = template.message["properties"]
        message["properties"] = {
            **properties,
            "correlation_id": task_id,
            "delivery_tag": str(uuid.uuid4()),
            "delivery_info": dict(properties["delivery_info"]),
        }
        client.lpush(template.queue, dumps(message))
        return task_id

    def _ready(self):
        key = (os.getpid(), self.app.conf.broker_url)
        if self._key == key and self._template is not None:
            return self._client, self._template
        with self._lock:
            if self._key != key or self._template is None:
                # After a fork (gunicorn --preload, Celery prefork) neither the socket nor the
                # origin header in the template belongs to this process; after the broker URL
                # changed, the socket goes to the wrong server.
                self._template = self._make_template()
                self._client = self._make_client()
                self._key = key
        return self._client, self._template

    def _make_template(self) -> _Template:
        queue, message = capture_message(self.app, self.task_name, (0,))
        properties = message["properties"]
        if properties["delivery_info"].get("exchange") or properties.get("priority"):
            self._usable = False
            raise LeanPublishUnsupported(f"{self.task_name} routes to an exchange or has a priority")
        body = base64.b64decode(message["body"]) if properties.get("body_encoding") == "base64" else None
        if body is None:
            self._usable = False
            raise LeanPublishUnsupported("the transport's body encoding is not base64")
        encoding = message["content-encoding"]
        _args, _kwargs, embed = loads(body.decode(encoding))
        return _Template(queue=queue, message=message, embed=embed, content_encoding=encoding)

    def _make_client(self):
        import redis

        options = self.app.conf.broker_transport_options or {}
        return redis.Redis.from_url(
            self.app.conf.broker_url,
            socket_connect_timeout=options.get("socket_connect_timeout", 2.0),
            socket_timeout=options.get("socket_timeout", 2.0),
        )


class LeanPublishUnsupported(Exception):
    """The task's messages cannot be reproduced by the shortcut; use apply_async."""
