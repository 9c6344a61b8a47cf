"""Print where the running product is and how to log in (used by `make run`)."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from surveys.demo.sample import demo_sample_invitation

DEMO_LOGINS = [
    ("admin", "superuser: everything"),
    ("designer", "Survey designers: questionnaires, campaigns"),
    ("manager", "Managers: reports, follow-ups, targets"),
    ("agent", "Agents: their own scores"),
    ("helpdesk", "django-helpdesk staff (HELPDESK=1), in no group"),
]


class Command(BaseCommand):
    help = "Print the URLs and demo logins of this installation."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=settings.SITE_URL, help="Default: SITE_URL.")

    def handle(self, *args, base_url, **options):
        db = settings.DATABASES["default"]
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("Customer surveys is starting"))
        out(f"  Dashboard:    {base_url}{reverse('surveys:reports')}")
        out(f"  Admin:        {base_url}/admin/")
        out(f"  API:          {base_url}{reverse('surveys:api_schema')} (OpenAPI schema; guide: docs/api.md)")
        out(f"  Health:       {base_url}/healthz")
        if apps.is_installed("helpdesk"):  # HELPDESK=1
            out(f"  Helpdesk:     {base_url}/helpdesk/")
        # DEBUG (the demo) may add a fresh sample invitation when every demo link has expired.
        sample = demo_sample_invitation(now=timezone.now(), create=settings.DEBUG)
        if sample is not None:
            path = reverse("surveys:survey", args=[sample.token])
            until = (
                f" (open until {timezone.localtime(sample.expires_at):%Y-%m-%d})" if sample.expires_at else ""
            )
            out(f"  A survey:     {base_url}{path}?score=9{until}")
        out(f"  Database:     {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        out(f"  Celery:       {settings.CELERY_BROKER_URL.split('@')[-1]}")
        out(f"  Email:        {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}")
        if settings.DEBUG:
            users = get_user_model().objects.filter(username__in=[name for name, _ in DEMO_LOGINS])
            present = {u.username: u for u in users}
            logins = [
                (name, role)
                for name, role in DEMO_LOGINS
                if name in present and present[name].check_password(name)
            ]
            if logins:
                out("  Logins (user / password, DEBUG only):")
                for name, role in logins:
                    out(f"    {name} / {name}".ljust(28) + role)
        out("Press Ctrl-C to stop web, worker and beat.")
        out("")
