from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from surveys.integrations.helpdesk.reconcile import helpdesk_tickets_reconcile


class Command(BaseCommand):
    help = "Record ticket events for django-helpdesk status changes the post_save hook missed."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=48, help="Look at tickets modified this recently.")

    def handle(self, *args, **options):
        stored = helpdesk_tickets_reconcile(hours=options["hours"])
        self.stdout.write(_("%(count)d missed ticket events recorded") % {"count": stored})
