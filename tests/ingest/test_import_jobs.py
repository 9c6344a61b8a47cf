"""manage.py import_tickets --jobs: batches stored and applied by several processes at once."""

import multiprocessing
import os

import pytest
from django.core.management import CommandError

from surveys.management.commands import import_tickets
from surveys.models import Agent, Invitation, Team, Ticket, TicketEvent, TicketEventStatus
from tests.factories import CampaignFactory
from tests.ingest.test_import_tickets import row, run, write_csv


@pytest.fixture
def batch_pids(tmp_path, monkeypatch):
    """The pid of the process that imports each batch (forked processes inherit the patch)."""
    log = tmp_path / "pids"
    original = import_tickets.Command._import_batch

    def recording(self, batch, options):
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return original(self, batch, options)

    monkeypatch.setattr(import_tickets.Command, "_import_batch", recording)
    return lambda: [int(line) for line in log.read_text().split()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_processes_import_a_file_as_one_would(tmp_path, batch_pids):
    CampaignFactory(delay_minutes=0, throttle_days=0)
    # Every ticket names the same new agent and team: batches in different processes insert
    # them at the same time, and the one that waited runs its batch again.
    rows = [row(f"T-{n}") for n in range(1, 13)]
    rows.insert(6, row("T-1"))  # line 8: the same event as line 2, in a later batch
    rows.insert(10, row("T-99", priority="asap"))  # line 12
    out, _ = run(write_csv(tmp_path, rows), "--batch-size", "2", "--jobs", "3")

    assert out.splitlines() == [
        "line 8: duplicate: event " + TicketEvent.objects.get(ticket__external_id="T-1").event_id + " is already stored",
        "line 12: rejected: ticket.priority: Must be one of: low, normal, high, urgent.",
        "accepted 12, duplicate 1, rejected 1",
    ]
    pids = batch_pids()
    assert len(pids) == 7 and os.getpid() not in pids and len(set(pids)) > 1
    assert Ticket.objects.count() == 12
    assert (Agent.objects.count(), Team.objects.count()) == (1, 1)
    assert set(Ticket.objects.values_list("agent__external_id", flat=True)) == {"a-1"}
    assert Invitation.objects.count() == 12
    assert TicketEvent.objects.filter(status=TicketEventStatus.APPLIED).count() == 12
    assert not TicketEvent.objects.exclude(status=TicketEventStatus.APPLIED).exists()


@pytest.mark.django_db
def test_inside_a_transaction_the_batches_stay_in_this_process(tmp_path, batch_pids):
    # pytest-django's transaction: the campaign is not committed, so another process would
    # import every ticket without its invitation.
    CampaignFactory(delay_minutes=0, throttle_days=0)
    out, _ = run(write_csv(tmp_path, [row("T-1"), row("T-2"), row("T-3")]), "--batch-size", "1", "--jobs", "2")

    assert out.strip() == "accepted 3, duplicate 0, rejected 0"
    assert set(batch_pids()) == {os.getpid()}
    assert Invitation.objects.count() == 3


def test_jobs_must_be_at_least_one(tmp_path):
    with pytest.raises(CommandError, match="--jobs must be at least 1"):
        run(write_csv(tmp_path, [row("T-1")]), "--jobs", "0")


def _child_backend(seen) -> None:
    """In a forked process, as the import's pool runs one: its own connection's backend."""
    from django.db import connection

    import_tickets._forget_inherited_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        seen.write_text(str(cursor.fetchone()[0]))
    connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_forked_process_opens_its_own_connection_and_leaves_the_parents_alone(tmp_path):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        parent_backend = cursor.fetchone()[0]
    seen = tmp_path / "child"
    child = multiprocessing.get_context("fork").Process(target=_child_backend, args=(seen,))
    child.start()
    child.join(60)

    assert child.exitcode == 0
    assert int(seen.read_text()) != parent_backend
    with connection.cursor() as cursor:  # the parent's session was not ended by the child
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == parent_backend
