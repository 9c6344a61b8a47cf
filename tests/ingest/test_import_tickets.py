"""manage.py import_tickets: same service as the webhook, line-numbered report, dry run."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Customer, Invitation, Ticket, TicketEvent, TicketStatus
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "ticket_id", "subject", "priority", "category", "channel", "opened_at", "first_response_at",
    "resolved_at", "closed_at", "contact_count", "reopen_count", "is_complaint", "agent_id",
    "agent_name", "agent_team", "customer_id", "customer_email", "customer_name", "customer_locale",
]


def row(ticket_id, **overrides):
    values = {
        "ticket_id": ticket_id, "subject": "Refund", "priority": "normal", "category": "billing",
        "channel": "email", "opened_at": "2026-11-20T08:00:00Z",
        "first_response_at": "2026-11-20T09:00:00Z", "resolved_at": "2026-11-21T08:00:00Z",
        "closed_at": "2026-11-21T09:00:00Z", "contact_count": "2", "reopen_count": "0",
        "is_complaint": "no", "agent_id": "a-1", "agent_name": "Ann", "agent_team": "Billing",
        "customer_id": f"c-{ticket_id}", "customer_email": f"{ticket_id.lower()}@example.org",
        "customer_name": "Li Lei", "customer_locale": "zh-hans",
    }
    values.update(overrides)
    return values


def write_csv(tmp_path, rows, header=HEADER, name="tickets.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tickets", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rows_become_closed_tickets_with_people_and_invitations(tmp_path):
    CampaignFactory(delay_minutes=0, throttle_days=0)
    out, _ = run(write_csv(tmp_path, [row("T-1"), row("T-2", is_complaint="yes")]), "--source", "legacy")

    assert out.strip() == "accepted 2, duplicate 0, rejected 0"
    ticket = Ticket.objects.get(external_id="T-1")
    assert (ticket.source, ticket.status, ticket.contact_count) == ("legacy", TicketStatus.CLOSED, 2)
    assert (ticket.agent.name, ticket.team.name, ticket.customer.locale) == ("Ann", "Billing", "zh-hans")
    assert Ticket.objects.get(external_id="T-2").is_complaint is True
    assert Invitation.objects.count() == 2
    assert TicketEvent.objects.filter(applied_at__isnull=False).count() == 2


def test_importing_the_same_file_twice_reports_duplicates_and_changes_nothing(tmp_path):
    path = write_csv(tmp_path, [row("T-1"), row("T-2")])
    run(path)
    out, _ = run(path)
    assert "line 2: duplicate: event csv-" in out
    assert "line 3: duplicate" in out
    assert out.strip().endswith("accepted 0, duplicate 2, rejected 0")
    assert TicketEvent.objects.count() == 2


def test_a_rerun_reads_once_per_batch_instead_of_writing_each_duplicate(tmp_path, django_assert_max_num_queries):
    path = write_csv(tmp_path, [row(f"T-{n}") for n in range(1, 7)])
    run(path, "--batch-size", "3")
    with django_assert_max_num_queries(2 * 3):  # per batch: one read, plus the batch's savepoint
        out, _ = run(path, "--batch-size", "3")
    assert out.strip().endswith("accepted 0, duplicate 6, rejected 0")
    assert Ticket.objects.count() == 6


def test_a_duplicate_and_a_new_row_in_one_batch(tmp_path):
    run(write_csv(tmp_path, [row("T-1")], name="first.csv"))
    out, _ = run(write_csv(tmp_path, [row("T-1"), row("T-2")], name="second.csv"))
    assert "line 2: duplicate" in out
    assert out.strip().endswith("accepted 1, duplicate 1, rejected 0")
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"T-1", "T-2"}


def test_bad_rows_rejected_with_line_number_and_reason_others_kept(tmp_path):
    rows = [row("T-1"), row("T-2", priority="asap"), row("", subject="no id"), row("T-4", contact_count="two")]
    out, _ = run(write_csv(tmp_path, rows), "--batch-size", "2")

    assert "line 3: rejected: ticket.priority: Must be one of: low, normal, high, urgent." in out
    assert "line 4: rejected: ticket.id: This field is required." in out
    assert "line 5: rejected: ticket.contact_count: Must be a whole number from 0 to 32767." in out
    assert out.strip().endswith("accepted 1, duplicate 0, rejected 3")
    assert list(Ticket.objects.values_list("external_id", flat=True)) == ["T-1"]


def test_line_numbers_count_multiline_cells(tmp_path):
    rows = [row("T-1", subject="first line\nsecond line"), row("T-2", priority="asap")]
    out, _ = run(write_csv(tmp_path, rows))
    assert "line 4: rejected: ticket.priority" in out


def test_dry_run_reports_the_same_and_writes_nothing(tmp_path):
    CampaignFactory(delay_minutes=0)
    rows = [row("T-1"), row("T-1"), row("T-3", closed_at="2026-11-01T00:00:00Z"), row("T-4")]
    out, _ = run(write_csv(tmp_path, rows), "--dry-run", "--batch-size", "1")

    assert "line 3: duplicate" in out
    assert "line 4: rejected: ticket.closed_at: Cannot be earlier than opened_at." in out
    assert out.strip().endswith("accepted 2, duplicate 1, rejected 1 (dry run: nothing was written)")
    for model in (TicketEvent, Ticket, Customer, Invitation):
        assert model.objects.count() == 0


def test_no_invitations_flag_imports_history_only(tmp_path):
    CampaignFactory(delay_minutes=0)
    run(write_csv(tmp_path, [row("T-1")]), "--no-invitations")
    assert Ticket.objects.count() == 1
    assert Invitation.objects.count() == 0


def test_explicit_event_columns_are_used(tmp_path):
    header = ["event_id", "source", "type", "occurred_at", *HEADER]
    opened = row("T-1", event_id="e-1", source="desk", type="ticket.opened", occurred_at="2026-11-20T08:00:00Z",
                 resolved_at="", closed_at="", first_response_at="")
    run(write_csv(tmp_path, [opened], header=header))
    event = TicketEvent.objects.get()
    assert (event.event_id, event.source, event.type) == ("e-1", "desk", "ticket.opened")
    assert Ticket.objects.get().status == TicketStatus.OPEN


def test_unknown_columns_are_named_and_ignored(tmp_path):
    _, err = run(write_csv(tmp_path, [row("T-1", mood="happy")], header=[*HEADER, "mood"]))
    assert "Ignoring unknown columns: mood" in err
    assert Ticket.objects.count() == 1


def test_missing_file_and_header_without_ticket_id_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nope.csv")
    with pytest.raises(CommandError, match="ticket_id"):
        run(write_csv(tmp_path, [{"subject": "x"}], header=["subject"]))


def test_only_a_row_with_a_nul_or_a_lone_surrogate_is_walked_for_storability(tmp_path, monkeypatch):
    """Clean rows skip the payload walk (``csv_rows.row_storable``); the one that needs it is
    walked, and refused naming its field."""
    from surveys.ingest import schema

    walked = []
    real = schema.json_problems
    monkeypatch.setattr(schema, "json_problems", lambda data: walked.append(data["ticket"]["id"]) or real(data))
    rows = [row("T-1"), row("T-2", subject="Refund\x00please"), row("T-3", customer_name="李雷")]
    out, _ = run(write_csv(tmp_path, rows))

    assert walked == ["T-2"]
    assert "line 3: rejected: ticket.subject: Must not contain the NUL character" in out
    assert out.strip().endswith("accepted 2, duplicate 0, rejected 1")
