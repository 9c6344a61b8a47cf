"""The weekly digest to managers: last week's headline figures, the change, and a link."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from ..transient import TransientSendError, smtp_error_classify
from . import snapshot
from .access import VIEW_ALL
from .dashboard import tile_display
from .figures import tiles
from .filters import ReportFilters, site_today
from .set_aside import scanner_clicks_set_aside

DIGEST_METRICS = ("nps", "csat", "response_rate", "complaint_rate", "resolution_time", "sla_resolution")
# Long enough to cover any beat or worker retry of the same week, short enough to expire.
CLAIM_SECONDS = 6 * 24 * 3600


def digest_recipients() -> list[str]:
    """Active users who may read every report (directly, by group, or superusers), with an email."""
    app, codename = VIEW_ALL.split(".")
    perm = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app)
    group_perm = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app)
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(perm | group_perm | Q(is_superuser=True))
    return sorted(set(users.values_list("email", flat=True)))


def digest_content(*, today: date) -> dict:
    """Subject, text, HTML and the dashboard link for the seven days before ``today``."""
    filters = ReportFilters(start=today - timedelta(days=7), end=today)
    with snapshot.report_transaction():  # one snapshot, the rollup state read once
        rows = [tile_display(t) for t in tiles(filters) if t["spec"].key in DIGEST_METRICS]
        set_aside = scanner_clicks_set_aside(filters)
    link = f"{settings.SITE_URL}{reverse('surveys:reports')}?{filters.querystring()}"
    context = {"filters": filters, "tiles": rows, "link": link, "set_aside": set_aside}
    subject = _("Weekly customer satisfaction digest, %(start)s to %(end)s") % {
        "start": filters.start.isoformat(),
        "end": (filters.end - timedelta(days=1)).isoformat(),
    }
    return {
        "subject": subject,
        "text": render_to_string("reports/digest_email.txt", context),
        "html": render_to_string("reports/digest_email.html", context),
        "link": link,
    }


def digest_send_weekly(*, today: date | None = None) -> int:
    """Send the digest for the week before ``today`` once; returns how many emails went out.

    The week is claimed in the shared cache first (an atomic add), so a re-delivered task
    or a second beat does not mail managers twice. Sent outside any transaction; one message
    per recipient so addresses are not shared.
    """
    today = today or site_today()
    if not cache.add(f"reports:digest:{today.isoformat()}", "sent", CLAIM_SECONDS):
        return 0
    recipients = digest_recipients()
    if not recipients:
        return 0
    content = digest_content(today=today)
    messages = []
    for address in recipients:
        message = EmailMultiAlternatives(content["subject"], content["text"], to=[address])
        message.attach_alternative(content["html"], "text/html")
        messages.append(message)
    try:
        return get_connection().send_messages(messages) or 0
    except Exception as exc:
        # Let a retry try again: the claim is released only when nothing could be sent.
        cache.delete(f"reports:digest:{today.isoformat()}")
        classified = smtp_error_classify(exc)
        if isinstance(classified, TransientSendError):
            raise classified from exc  # retried by the task (surveys/transient.py)
        raise
