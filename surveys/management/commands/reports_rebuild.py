"""Recompute every report rollup from the source rows (docs/deploy.md, docs/metrics.md)."""

from django.core.management.base import BaseCommand, CommandError

from surveys.reports.rollups_write import rollups_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the report rollups from tickets, responses and invitations. Safe while the "
        "site runs: readers see the old rows until the rebuild commits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--changed-only",
            action="store_true",
            help="Only the days whose rows changed since the last refresh (what beat runs).",
        )
        parser.add_argument(
            "--lease", type=int, default=3600, help="Seconds the rebuild holds its claim (default 3600)."
        )

    def handle(self, *args, changed_only, lease, **options):
        result = rollups_refresh(full=not changed_only, lease_seconds=lease)
        if result is None:
            raise CommandError("Another refresh is running; try again when it has finished.")
        kind = "full rebuild" if result["full"] else f"{result['days']} changed days"
        self.stdout.write(self.style.SUCCESS(f"Report rollups: {kind} in {result['seconds']:.1f} s"))
