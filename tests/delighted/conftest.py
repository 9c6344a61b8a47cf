"""The official ``delighted`` client (PyPI) pointed at the live test server, and an API token
whose user holds what the Delighted-compatible API asks for (docs/integrations.md)."""

import warnings

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from surveys import models as m
from surveys.services import sending_smtp
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory, UserFactory

with warnings.catch_warnings():
    # The package warns on import that the service closed on 30 June 2026: hence this API.
    warnings.simplefilter("ignore", FutureWarning)
    import delighted

PERMISSIONS = ("view_reports", "view_customer", "add_ticketevent", "change_customer", "erase_customer")


MODELS = {
    "view_reports": m.Response,
    "view_customer": m.Customer,
    "change_customer": m.Customer,
    "erase_customer": m.Customer,
    "add_ticketevent": m.TicketEvent,
}


def api_token(*codenames: str) -> str:
    user = UserFactory(is_staff=False)
    # A transactional test's flush may leave the per-process content-type cache pointing at
    # rows that are gone: read them afresh, and make sure each permission is there.
    ContentType.objects.clear_cache()
    for codename in codenames:
        permission, _created = Permission.objects.get_or_create(
            codename=codename,
            content_type=ContentType.objects.get_for_model(MODELS[codename]),
            defaults={"name": codename},
        )
        user.user_permissions.add(permission)
    user = type(user).objects.get(pk=user.pk)
    assert all(user.has_perm(f"surveys.{codename}") for codename in codenames)
    token = m.ApiToken(user=user, name="Delighted scripts")
    key = token.set_new_key()
    token.save()
    return key


def client_for(live_server, key: str) -> "delighted.Client":
    return delighted.Client(api_key=key, api_base_url=live_server.url + "/delighted/v1/")


@pytest.fixture
def delighted_api(live_server, settings):
    """The client as an integration configures it: ``delighted.api_key`` and
    ``delighted.api_base_url``; the shared client is rebuilt so it picks them up."""
    settings.SITE_URL = live_server.url
    key = api_token(*PERMISSIONS)
    delighted.api_key = key
    delighted.api_base_url = live_server.url + "/delighted/v1/"
    delighted.shared_client = None
    sending_smtp.mailer.close()
    yield delighted
    delighted.shared_client = None
    delighted.api_key = None
    sending_smtp.mailer.close()


@pytest.fixture
def nps_campaign(db):
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, key="nps", order=1)
    QuestionFactory(
        questionnaire=questionnaire, kind=m.QuestionKind.TEXT, key="comment", order=2, text="Why?"
    )
    return CampaignFactory(questionnaire=questionnaire, delay_minutes=0, throttle_days=0, priority=1)
