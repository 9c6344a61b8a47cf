import pytest

from .helpers import SECRET


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.WEBHOOK_SECRET = SECRET


@pytest.fixture
def enqueued(monkeypatch):
    """Invitation ids handed to the Celery task (the broker boundary), in order."""
    import surveys.tasks.sending as sending_tasks

    sent: list[int] = []
    monkeypatch.setattr(
        sending_tasks.invitation_send, "apply_async", lambda args, countdown=None: sent.append(args[0])
    )
    return sent
