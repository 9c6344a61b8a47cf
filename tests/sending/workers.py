"""Real Celery worker processes for the sending integration tests, and bulk test data.

A worker is started as `celery -A surveys_project worker` with --pidfile, pointed at the
pytest test database, the test Redis and an SMTP sink, and stopped by the pid in its pidfile.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from surveys import models as m
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def worker_env(*, smtp_url: str, var_dir: Path, **extra) -> dict:
    """The environment of a worker that shares this test's database, Redis and SMTP sink."""
    from django.conf import settings

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_URL": smtp_url,
            "SITE_URL": settings.SITE_URL,
            "VAR_DIR": str(var_dir),
            "LOG_LEVEL": "INFO",
        }
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


class WorkerProcess:
    def __init__(self, *, env: dict, directory: Path, name: str, pool: str = "solo", concurrency: int = 1):
        self.env = env
        self.name = name
        self.pidfile = directory / f"{name}.pid"
        self.logfile = directory / f"{name}.log"
        self.args = [
            CELERY, "-A", "surveys_project", "worker",
            f"--pool={pool}", f"--concurrency={concurrency}",
            f"--pidfile={self.pidfile}", "--loglevel=INFO",
            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = 40.0) -> "WorkerProcess":
        with open(self.logfile, "wb") as log:
            self.popen = subprocess.Popen(
                self.args, env=self.env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b" ready." in self.logfile.read_bytes() and self.pidfile.exists():
                return self
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} did not start:\n{self.log()}")

    @property
    def pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            self.popen.terminate()
        if self.wait(20) is None:
            self.popen.kill()
            self.popen.wait(10)


def wait_for(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def campaign_with_nps(**kwargs) -> m.Campaign:
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    return CampaignFactory(questionnaire=questionnaire, **kwargs)


def due_invitations_bulk(campaign: m.Campaign, count: int, *, prefix: str = "bulk") -> list[m.Invitation]:
    """``count`` scheduled, due invitations, each for its own customer and ticket (few queries)."""
    now = timezone.now()
    customers = m.Customer.objects.bulk_create(
        [m.Customer(email=f"{prefix}{n}@example.org", name=f"Customer {n}") for n in range(count)]
    )
    tickets = m.Ticket.objects.bulk_create(
        [
            m.Ticket(
                source="bulk",
                external_id=f"{prefix}-{n}",
                customer=customer,
                subject=f"Ticket {n}",
                status=m.TicketStatus.CLOSED,
                opened_at=now - timedelta(hours=3),
                closed_at=now - timedelta(hours=1),
            )
            for n, customer in enumerate(customers)
        ]
    )
    return m.Invitation.objects.bulk_create(
        [
            m.Invitation(
                campaign=campaign,
                ticket=ticket,
                customer=ticket.customer,
                questionnaire=campaign.questionnaire,
                status=m.InvitationStatus.SCHEDULED,
                send_after=now - timedelta(minutes=1),
            )
            for ticket in tickets
        ]
    )
