"""Fill the database with a believable support organisation and its survey results."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from surveys.demo import demo_seed
from surveys.models import Questionnaire, Ticket


class Command(BaseCommand):
    help = _(
        "Create demo data: teams, agents, SLA policies, customers, ~2,000 tickets over 90 days, "
        "a bilingual questionnaire and campaign, invitations, ~600 responses, follow-ups, targets "
        "and an alert rule. Running it again changes nothing; --reset rebuilds the demo rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help=_("Delete the demo rows, then build them again.")
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Do nothing when the database already holds tickets or questionnaires of any kind."),
        )

    def handle(self, *args, reset: bool, if_empty: bool, **options):
        out = self.stdout.write
        if if_empty and not reset and (Ticket.objects.exists() or Questionnaire.objects.exists()):
            out(_("The database already holds data; no demo data added."))
            return
        started = time.perf_counter()
        result = demo_seed(reset=reset, create_logins=settings.DEBUG)
        if not result.created:
            out(_("The demo data is already there; nothing changed. Use --reset to build it again."))
            return
        elapsed = time.perf_counter() - started
        out(self.style.SUCCESS(_("Demo data created in %(seconds).1f s:") % {"seconds": elapsed}))
        for name, count in result.counts.items():
            out(f"  {name.replace('_', ' '):<14}{count:>6}")
        if result.logins:
            out(_("Demo logins (user / password, DEBUG only):"))
            for username, created in result.logins:
                if created:
                    out(f"  {username} / {username}")
                else:
                    out("  " + _("%(user)s (already existed; password unchanged)") % {"user": username})
        else:
            out(_("DEBUG is off: no demo logins were created."))
