"""The Django admin, one module per concern. Importing them registers the ModelAdmins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401
    alerts,
    brand,
    campaigns,
    goals,
    helpdesk_connections,
    organisation,
    questionnaires,
    responses,
    score_clicks,
    tickets,
)
from .outbound import WebhookSubscriptionAdmin  # noqa: F401 - outbound events (issue 17)
from .reporting import ApiTokenAdmin  # noqa: F401 - API tokens and the export log (issue 5)

admin.site.site_header = _("Customer surveys")
admin.site.site_title = _("Customer surveys")
# "View site" leads to the role's home (surveys/views/home.py).
admin.site.site_url = "/"
admin.site.index_title = _("Surveys and service levels")
