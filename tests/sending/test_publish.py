"""The webhook's lean publish pushes the very message apply_async would (surveys/tasks/publish.py).

A real worker consuming these messages is tests/integration/test_ingest_worker.py; here the
messages themselves are compared, field by field, with what the installed Celery and kombu make.
"""

import base64
import json

import pytest
import redis
from celery import current_app
from django.conf import settings

from surveys.tasks import sending
from surveys.tasks.publish import LeanPublisher, capture_message

TASK = "surveys.tasks.invitation_send"
PER_MESSAGE = {"id", "root_id"}
PER_MESSAGE_PROPERTIES = {"correlation_id", "delivery_tag"}


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")
    yield client
    client.delete("celery")


def pushed(broker) -> list[dict]:
    return [json.loads(raw) for raw in reversed(broker.lrange("celery", 0, -1))]


def decoded_body(message: dict) -> list:
    return json.loads(base64.b64decode(message["body"]))


def without_ids(message: dict) -> dict:
    return {
        **message,
        "body": decoded_body(message)[1:],  # arguments compared on their own
        "headers": {k: v for k, v in message["headers"].items() if k not in PER_MESSAGE | {"argsrepr"}},
        "properties": {k: v for k, v in message["properties"].items() if k not in PER_MESSAGE_PROPERTIES},
    }


@pytest.mark.redis
def test_lean_message_is_the_apply_async_message_with_new_ids(broker):
    sending.invitation_send.apply_async((41,))
    task_id = LeanPublisher(current_app, TASK).publish((42,))

    reference, lean = pushed(broker)
    assert without_ids(lean) == without_ids(reference)
    assert decoded_body(lean)[0] == [42]
    assert lean["headers"]["argsrepr"] == "(42,)" and reference["headers"]["argsrepr"] == "(41,)"
    assert lean["headers"]["id"] == lean["headers"]["root_id"] == lean["properties"]["correlation_id"] == task_id
    assert lean["headers"]["task"] == TASK
    assert lean["properties"]["delivery_tag"] != reference["properties"]["delivery_tag"]


@pytest.mark.redis
def test_every_lean_message_has_its_own_ids(broker):
    publisher = LeanPublisher(current_app, TASK)
    ids = {publisher.publish((n,)) for n in range(3)}

    messages = pushed(broker)
    assert [decoded_body(m)[0] for m in messages] == [[0], [1], [2]]
    assert {m["headers"]["id"] for m in messages} == ids and len(ids) == 3
    assert len({m["properties"]["delivery_tag"] for m in messages}) == 3


@pytest.mark.redis
def test_publish_without_countdown_takes_the_lean_path_and_with_one_apply_async(broker, monkeypatch):
    calls = []
    sending._lean._ready()  # the template comes from the real apply_async, before the stub
    monkeypatch.setattr(sending.invitation_send, "apply_async", lambda *a, **kw: calls.append(kw))

    assert sending.invitation_send_publish(7) is True
    assert calls == []
    (message,) = pushed(broker)
    assert decoded_body(message)[0] == [7]

    assert sending.invitation_send_publish(8, countdown=30) is True
    assert calls == [{"countdown": 30}]


@pytest.mark.redis
def test_an_unreachable_redis_is_reported_not_raised(monkeypatch):
    publisher = LeanPublisher(current_app, TASK)
    monkeypatch.setattr(sending, "_lean", publisher)
    publisher._ready()  # the template is made; now the socket goes to a closed port
    publisher._client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)

    assert sending.invitation_send_publish(9) is False


@pytest.mark.redis
def test_a_message_sent_from_a_task_names_that_task_as_parent_and_root_as_celery_does(broker, monkeypatch):
    publisher = LeanPublisher(current_app, TASK)
    publisher._ready()  # a template captured outside any task

    class Sweep:
        class request:
            id, root_id = "sweep-7", "beat-1"

        @staticmethod
        def add_trail(result):
            pass

    app_class = type(current_app._get_current_object())
    monkeypatch.setattr(app_class, "current_worker_task", property(lambda app: Sweep))
    publisher.publish((3,))
    sending.invitation_send.apply_async((4,))

    lean, reference = pushed(broker)
    assert (lean["headers"]["parent_id"], lean["headers"]["root_id"]) == ("sweep-7", "beat-1")
    assert (reference["headers"]["parent_id"], reference["headers"]["root_id"]) == ("sweep-7", "beat-1")


def test_brokers_other_than_plain_redis_use_apply_async(settings):
    class App:
        class conf:
            broker_url = "amqp://guest@localhost//"
            broker_transport_options = {}

    assert LeanPublisher(App, TASK).usable() is False
    App.conf.broker_url = "redis://localhost:6379/0"
    App.conf.broker_transport_options = {"global_keyprefix": "surveys:"}
    assert LeanPublisher(App, TASK).usable() is False
    App.conf.broker_transport_options = {}
    assert LeanPublisher(App, TASK).usable() is True


def test_the_template_is_what_celery_itself_makes():
    queue, message = capture_message(current_app, TASK, (5,))

    assert queue == current_app.conf.task_default_queue
    assert message["headers"]["task"] == TASK
    assert message["headers"]["timelimit"] == [settings.CELERY_TASK_TIME_LIMIT, settings.CELERY_TASK_SOFT_TIME_LIMIT]
    assert message["properties"]["body_encoding"] == "base64"
    assert decoded_body(message)[0] == [5]
