from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from helpdesk.models import Queue

DEMO_STAFF = "helpdesk"


class Command(BaseCommand):
    help = (
        "Development only (DEBUG): a django-helpdesk queue 'Support' when there is none, and a plain "
        "staff login 'helpdesk' (password 'helpdesk', in none of the product's groups)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("helpdesk_demo creates a login with a known password: DEBUG only.")
        if not Queue.objects.exists():
            Queue.objects.create(title="Support", slug="support", email_address="support@example.com")
            self.stdout.write("django-helpdesk queue 'Support' (slug: support) created")
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_STAFF, defaults={"email": "helpdesk@example.com", "is_staff": True}
        )
        if created:
            user.set_password(DEMO_STAFF)
            user.save(update_fields=["password"])
        state = "" if created else " (already existed; password unchanged)"
        self.stdout.write(f"django-helpdesk staff login: {DEMO_STAFF} / {DEMO_STAFF}{state}")
