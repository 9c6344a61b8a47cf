"""manage.py import_tickets FILE.csv: ticket events from a CSV export, stored as the webhook stores
them (bulk, a batch at a time) and applied in large batches by the workers' service, in the
transaction that stores them (no claim: no worker sees them before they are settled).

On PostgreSQL several processes (``--jobs``) store and apply batches at once, as several
workers apply stored events: a batch's transaction takes its tickets in key order and runs
again after a concurrent insert of one of its rows (services/ticket_events.py), so two
batches naming the same ticket, customer or agent wait for each other, never apply twice.
This process reads the file and prints each batch's lines in file order; the batches are
read ahead by at most two per process, so memory stays flat."""

import csv
import hashlib
import io
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, IntegrityError, connection, connections, reset_queries, transaction
from django.db import Error as DbError
from django.utils.translation import gettext as _

from surveys.ingest.csv_rows import KNOWN_COLUMNS, row_storable, row_to_payload
from surveys.ingest.schema import PayloadInvalid, event_parse
from surveys.models import TicketEvent, TicketEventStatus
from surveys.services.ticket_events import events_store_apply
from surveys.transient import db_error_is_transient

# Processes by default on PostgreSQL: the machine's cores, up to this many.
JOBS_MAX = 4
# What becomes of each line, counted for the summary.
OUTCOMES = ("accepted", "duplicate", "rejected")


def _forget_inherited_connections() -> None:
    """First thing in a forked pool process: a database connection copied from the parent is
    dropped without a word on its socket, which the parent may still use (a close would send
    it the end of the session), as Celery's Django fixup does for its forked workers. The
    parent closes its connections before forking; this covers one its close cannot reach:
    Django keeps a thread's connections apart while an event loop runs in it (as the browser
    tests' driver leaves one), and the forked process, with no loop, sees the other ones."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        with suppress(OSError):
            os.close(conn.connection.fileno())
        with suppress(DbError):
            conn.close()  # the client's state; its goodbye goes to a closed descriptor


def _import_in_child(batch: list, options: dict) -> tuple[dict, str]:
    """One batch in a pool process (``--jobs``): its counts and its printed lines."""
    out = io.StringIO()
    command = Command(stdout=out, stderr=io.StringIO())
    command.counts = dict.fromkeys(OUTCOMES, 0)
    command.dry_run = False
    command._import_batch(batch, options)
    reset_queries()
    return command.counts, out.getvalue()


class Command(BaseCommand):
    help = (
        "Import ticket events from a CSV file (columns as in docs/api.md). Rows are streamed and "
        "committed in batches, so any size imports in constant memory. Prints each duplicate and "
        "rejected line with its reason, then the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; write nothing.")
        parser.add_argument("--source", default="csv-import", help="Source for rows without one.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows stored and applied at a time.")
        parser.add_argument(
            "--no-invitations",
            action="store_true",
            help="Record tickets only (history): closed tickets get no survey invitations.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help=(
                f"Processes storing and applying batches at once (default on PostgreSQL: the CPUs, "
                f"up to {JOBS_MAX}). SQLite, which has one writer at a time, and --dry-run use one."
            ),
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        if options["jobs"] is not None and options["jobs"] < 1:
            raise CommandError(_("--jobs must be at least 1."))
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.dry_run = options["dry_run"]
        # Dry runs roll every batch back, so in-file repeats are caught by fingerprint instead
        # (8 bytes a row: the one thing that grows with the file).
        self.seen: set[bytes] = set()
        # surrogateescape: a byte that is not UTF-8 becomes a lone surrogate, which the payload
        # validation refuses naming its field, so one bad cell rejects one row, not the file.
        with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.DictReader(handle)
            try:
                self._check_header(reader.fieldnames)
                rows = self._numbered(reader)
                batches = iter(lambda: list(islice(rows, options["batch_size"])), [])
                jobs = self._jobs(options)
                if jobs > 1:
                    self._import_in_pool(batches, options, jobs)
                else:
                    for batch in batches:
                        self._import_batch(batch, options)
                        reset_queries()  # DEBUG keeps a query log; do not let it grow with the file
            except csv.Error as exc:  # e.g. a cell past csv.field_size_limit(): the file is broken
                raise CommandError(
                    _("line %(line)d: %(error)s (earlier batches were imported)")
                    % {"line": reader.line_num, "error": exc}
                ) from None
        summary = _("accepted %(accepted)d, duplicate %(duplicate)d, rejected %(rejected)d") % self.counts
        if self.dry_run:
            summary += " " + _("(dry run: nothing was written)")
        self.stdout.write(summary)

    def _jobs(self, options) -> int:
        """How many processes import: one for a dry run (its in-file repeats are caught in this
        process), on SQLite, and inside a caller's transaction (its rows, such as a campaign
        made in the same transaction, would be invisible to the others)."""
        if self.dry_run or connection.vendor == "sqlite" or connection.in_atomic_block:
            return 1
        return options["jobs"] or min(JOBS_MAX, os.cpu_count() or 1)

    def _import_in_pool(self, batches, options, jobs: int) -> None:
        """Each batch in one of ``jobs`` forked processes; their lines printed in file order."""
        wanted = {"source": options["source"], "no_invitations": options["no_invitations"]}
        connections.close_all()  # each process opens its own connection, never this one's
        pending: deque = deque()
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=fork, initializer=_forget_inherited_connections) as pool:
            try:
                for batch in batches:
                    pending.append(pool.submit(_import_in_child, batch, wanted))
                    while len(pending) >= 2 * jobs:
                        self._collect(pending.popleft())
            finally:  # a broken file: what was read before it is still imported and reported
                while pending:
                    self._collect(pending.popleft())

    def _collect(self, future) -> None:
        counts, printed = future.result()
        for outcome, n in counts.items():
            self.counts[outcome] += n
        if printed:
            self.stdout.write(printed, ending="")

    def _check_header(self, fieldnames) -> None:
        if not fieldnames or "ticket_id" not in fieldnames:
            raise CommandError(_("The first line must name the columns, including ticket_id."))
        # Escaped: a name with bytes that are not UTF-8 would otherwise break the output.
        unknown = [
            name.encode("utf-8", "backslashreplace").decode() for name in fieldnames if name not in KNOWN_COLUMNS
        ]
        if unknown:
            self.stderr.write(_("Ignoring unknown columns: %(names)s") % {"names": ", ".join(unknown)})

    @staticmethod
    def _numbered(reader):
        """(first line of the record, row): a quoted cell may span several physical lines."""
        line = 2
        for row in reader:
            yield line, row
            line = reader.line_num + 1

    def _import_batch(self, batch, options) -> None:
        """Validate the batch's rows, store the new events with one INSERT … RETURNING id and
        apply them in the same transaction (``events_store_apply``), in this process."""
        source = options["source"]
        payloads = [
            (line, row_to_payload(row, default_source=source), row_storable(row, default_source=source))
            for line, row in batch
        ]
        stored = self._already_stored(payload for _line, payload, _storable in payloads)
        parsed = {}  # (source, event_id) as parsed: (line, EventData), applied as it is
        for line, payload, storable in payloads:
            if (payload.get("source"), payload.get("event_id")) in stored:
                self._report("duplicate", line, _("event %(id)s is already stored") % {"id": payload["event_id"]})
                continue
            if self.dry_run:
                if self._dry_run_check(line, payload):
                    self.counts["accepted"] += 1
                continue
            try:
                # A CSV row's payload: str, int, bool, None; walked for storability only when
                # a cell holds a NUL or a lone surrogate (the error then names the field).
                data = event_parse(payload, decoded=True, storable=storable)
            except PayloadInvalid as exc:
                self._rejected(line, exc)
                continue
            key = (data.source, data.event_id)
            if key in parsed:  # the first of two rows with one event id wins, as in the store
                self._report("duplicate", line, _("event %(id)s is already stored") % {"id": data.event_id})
                continue
            parsed[key] = (line, data)
        if not parsed:
            return
        try:
            # Stored and applied in one transaction: the workers never see these events stored,
            # so --no-invitations holds for each of them.
            with transaction.atomic():
                settled, taken = self._store_apply(parsed, create_invitations=not options["no_invitations"])
        except DatabaseError as exc:
            if db_error_is_transient(exc):
                reason = _("transient database error, import the file again: %(error)s")
            else:
                reason = _("the database refused a value: %(error)s")
            for line, _data in parsed.values():
                self._report("rejected", line, reason % {"error": exc})
            return
        for key, (line, _data) in parsed.items():
            event = settled.get(key)
            if event is None:  # stored meanwhile by another sender: theirs, not this file's
                self._report("duplicate", line, _("event %(id)s is already stored") % {"id": key[1]})
            elif event.status == TicketEventStatus.FAILED:
                self._report("rejected", line, event.last_error)
            else:
                self.counts["accepted"] += 1

    def _store_apply(self, parsed: dict, *, create_invitations: bool) -> tuple[dict, set]:
        """Store and apply the batch's events (``events_store_apply``). Ones another sender
        stored meanwhile are left out and the rest stored again. Returns the settled events by
        (source, event_id), and the keys left out."""
        wanted, taken = dict(parsed), set()
        while wanted:
            try:
                events = events_store_apply([data for _line, data in wanted.values()], create_invitations=create_invitations)
            except IntegrityError:
                found = self._already_stored({"source": s, "event_id": e} for s, e in wanted) & wanted.keys()
                if not found:  # not a duplicate: the database refused a value (reported as such)
                    raise
                taken |= found
                for key in found:
                    del wanted[key]
                continue
            return {(e.source, e.event_id): e for e in events}, taken
        return {}, taken

    @staticmethod
    def _already_stored(payloads) -> set[tuple[str, str]]:
        """(source, event_id) of the batch's events already in the database, in one query: a
        re-run of the same file then costs a read a batch."""
        keys = {
            (p["source"], p["event_id"])
            for p in payloads
            if isinstance(p.get("source"), str) and isinstance(p.get("event_id"), str)
        }
        if not keys:
            return set()
        return set(
            TicketEvent.objects.filter(
                source__in={source for source, _ in keys}, event_id__in={event_id for _, event_id in keys}
            ).values_list("source", "event_id")
        )

    def _dry_run_check(self, line: int, payload) -> bool:
        try:
            event_parse(payload)
        except PayloadInvalid as exc:
            self._rejected(line, exc)
            return False
        key = hashlib.blake2b(
            f"{payload['source']}\x1f{payload['event_id']}".encode(), digest_size=8
        ).digest()
        if key in self.seen:
            self._report("duplicate", line, _("event %(id)s is already stored") % {"id": payload["event_id"]})
            return False
        self.seen.add(key)
        return True

    def _rejected(self, line: int, exc: PayloadInvalid) -> None:
        reason = "; ".join(
            f"{field or 'row'}: {' '.join(messages)}" for field, messages in exc.errors.items()
        )
        self._report("rejected", line, reason)

    def _report(self, outcome: str, line: int, reason: str) -> None:
        self.counts[outcome] += 1
        label = _("duplicate") if outcome == "duplicate" else _("rejected")
        self.stdout.write(
            _("line %(line)d: %(outcome)s: %(reason)s") % {"line": line, "outcome": label, "reason": reason}
        )
