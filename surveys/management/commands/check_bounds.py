"""manage.py check_bounds [--repair]: rows stored outside the bounds (docs/deploy.md)."""

from django.core.management.base import BaseCommand, CommandError

from surveys.services.stored_bounds import stored_bounds_find, stored_bounds_repair


class Command(BaseCommand):
    help = (
        "Find stored dates and times outside 2000-01-01 .. 2100-01-01 (UTC), which older versions "
        "accepted and which can break the admin and exports. Reads ids only. With --repair, "
        "clamps each to the nearest edge of the window. Exits with status 1 when rows were "
        "found and not repaired, so a deployment check can run it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Clamp the values found (one transaction).")

    def handle(self, *args, repair: bool, **options):
        found = stored_bounds_repair() if repair else stored_bounds_find()
        if not found:
            self.stdout.write(self.style.SUCCESS("All stored dates and times are within bounds."))
            return
        for item in found:
            more = f" (first {len(item.ids)})" if item.count > len(item.ids) else ""
            ids = ", ".join(str(pk) for pk in item.ids)
            self.stdout.write(f"{item.label}: {item.count} row(s) outside the window; ids{more}: {ids}")
        total = sum(item.count for item in found)
        if repair:
            self.stdout.write(self.style.SUCCESS(
                f"Repaired {total} value(s). Run `manage.py reports_rebuild` so the reports count them."
            ))
            return
        raise CommandError(f"{total} value(s) outside the bounds; run with --repair to clamp them.")
