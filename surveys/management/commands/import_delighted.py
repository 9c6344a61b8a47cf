"""``manage.py import_delighted export.csv --campaign ID``: Delighted's CSV export of responses
into the product, marked as imported (surveys/delighted/importer.py, docs/integrations.md)."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...delighted.importer import KINDS, RowRefused, delighted_row_import, header_read
from ...models import Campaign


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Import Delighted's CSV export of responses (each row once; a re-import adds nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--campaign", type=int, required=True, help="The campaign the history belongs to."
        )
        parser.add_argument(
            "--survey-type", choices=sorted(KINDS), default="nps", help="For rows without one."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")

    def handle(self, *args, **options):
        campaign = Campaign.objects.select_related("questionnaire").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"No campaign with id {options['campaign']}.")
        counts = {"imported": 0, "duplicate": 0, "rejected": 0}
        try:
            with open(options["path"], encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                try:
                    header = header_read(reader.fieldnames)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
                line = reader.line_num
                for row in reader:
                    outcome = self._one(row, header, campaign, options, line)
                    counts[outcome] += 1
                    line = reader.line_num
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {options['path']}: {exc}") from exc
        summary = ", ".join(f"{name} {n}" for name, n in counts.items())
        self.stdout.write(("dry run: " if options["dry_run"] else "") + summary)

    def _one(self, row, header, campaign, options, line) -> str:
        try:
            with transaction.atomic():
                created = delighted_row_import(
                    row=row, header=header, campaign=campaign, default_kind=options["survey_type"]
                )
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            created = True
        except RowRefused as refused:
            self.stdout.write(f"line {line + 1}: rejected: {refused}")
            return "rejected"
        if not created:
            self.stdout.write(
                f"line {line + 1}: duplicate: response {row.get(header.known['id'])} is imported already"
            )
            return "duplicate"
        return "imported"
