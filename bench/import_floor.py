"""The floor under the CSV import's speed: what the ORM alone costs to write the rows that an
imported line becomes, with nothing else done (no CSV, no validation, no lookups, no rules).

Run by ``bench_import.py --floor`` against the database its import filled (environment as
the import's). Reads every customer, ticket, event and invitation the import wrote, empties
those tables, then writes the same rows again in batches as the import does (2,000 lines, one
transaction each, ``bulk_create`` per model in foreign-key order), three times. Prints JSON:
per imported line, the CPU of building the model instances (``Model(**values)``), of
``bulk_create`` and of the PostgreSQL backend (/proc, so PostgreSQL must run on this machine),
medians of the three rounds. The import cannot cost less than their sum.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveys_project.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from shared import cpu_seconds  # noqa: E402 - bench/, this script's own folder

from surveys.models import Customer, Invitation, Ticket, TicketEvent  # noqa: E402

MODELS = (Customer, Ticket, TicketEvent, Invitation)  # foreign-key order
BATCH = 2000  # import_tickets' --batch-size default
ROUNDS = 3


def by_line(tickets: list) -> list[dict]:
    """The rows each line made (a line: one ticket), in line order, so a batch of lines holds
    the rows its foreign keys need however the import's processes numbered them: a customer
    with its first ticket, events and invitations with their ticket."""
    customers = Customer.objects.in_bulk()  # the import's database holds only its own
    per_ticket = {model: {} for model in (TicketEvent, Invitation)}
    for model, rows in per_ticket.items():
        for row in model.objects.order_by("pk"):
            rows.setdefault(row.ticket_id, []).append(row)
    lines, seen = [], set()
    for ticket in tickets:
        line = {model: [] for model in MODELS}
        if ticket.customer_id not in seen:
            seen.add(ticket.customer_id)
            line[Customer].append(customers[ticket.customer_id])
        line[Ticket].append(ticket)
        for model, rows in per_ticket.items():
            line[model] += rows.get(ticket.pk, [])
        lines.append(line)
    return lines


def main() -> None:
    tickets = list(Ticket.objects.order_by("pk"))
    lines = by_line(tickets)
    rows = {model: [row for line in lines for row in line[model]] for model in MODELS}
    batches = [
        {model: [row for line in lines[start : start + BATCH] for row in line[model]] for model in MODELS}
        for start in range(0, len(lines), BATCH)
    ]
    values = {
        model: [
            {f.attname: getattr(o, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
            for o in rows[model]
        ]
        for model in MODELS
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    rounds = []
    for _ in range(ROUNDS):
        began = time.process_time()
        for model in MODELS:
            [model(**v) for v in values[model]]
        build = time.process_time() - began
        with connection.cursor() as cursor:
            tables = ", ".join(m._meta.db_table for m in reversed(MODELS))
            cursor.execute(f"TRUNCATE {tables} CASCADE")  # noqa: S608 - our own table names; the rest are empty
        pg_before, began = cpu_seconds(pid), time.process_time()
        for batch in batches:
            with transaction.atomic():
                for model in MODELS:  # the rows as read, primary keys kept so foreign keys hold
                    model.objects.bulk_create(batch[model])
        write = time.process_time() - began
        pg = cpu_seconds(pid) - pg_before
        rounds.append({"build": build, "bulk_create": write, "postgresql": pg})
    per_line = {k: round(statistics.median(r[k] for r in rounds) * 1000 / len(lines), 3) for k in rounds[0]}
    print(
        json.dumps(
            {
                "lines": len(lines),
                "rows_per_line": {m.__name__: round(len(rows[m]) / len(lines), 2) for m in MODELS},
                # the values bulk_create writes (primary keys too: the import has them returned)
                "values_per_line": round(
                    sum(len(rows[m]) * len(m._meta.concrete_fields) for m in MODELS) / len(lines), 1
                ),
                "cpu_ms_per_line": per_line,
                "total_cpu_ms_per_line": round(sum(per_line.values()), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
