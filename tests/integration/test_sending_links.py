"""Mail scanners open every link in an email, with GET and HEAD. None of that may change
anything: no answer recorded, no opt-out, no status moved."""

import re
from urllib.parse import urlsplit

import pytest

from surveys import models as m
from surveys.services import sending, sending_smtp
from tests.sending.smtp_sink import SmtpSink
from tests.sending.workers import campaign_with_nps, due_invitations_bulk

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HREF = re.compile(r'href="([^"]+)"')
URL = re.compile(r"https?://\S+")


def _snapshot() -> dict:
    return {
        "invitations": list(m.Invitation.objects.order_by("pk").values()),
        "customers": list(m.Customer.objects.order_by("pk").values()),
        "responses": list(m.Response.objects.order_by("pk").values()),
        "answers": list(m.Answer.objects.order_by("pk").values()),
        "followups": list(m.FollowUp.objects.order_by("pk").values()),
    }


@pytest.fixture
def sent_email(settings):
    settings.SITE_URL = "http://testserver"
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        sending_smtp.mailer.close()
        invitation = due_invitations_bulk(campaign_with_nps(), 1)[0]
        assert sending.invitation_send(invitation_id=invitation.pk).outcome == sending.SendOutcome.SENT
        sending_smtp.mailer.close()
        [message] = sink.handler.messages
    return invitation, message


def test_get_and_head_on_every_link_in_the_email_change_nothing(client, sent_email):
    invitation, message = sent_email
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    links = set(HREF.findall(html)) | set(URL.findall(text))
    links.add(str(message["List-Unsubscribe"]).strip("<>"))
    links = {link.replace("&amp;", "&") for link in links}
    paths = {urlsplit(link).path for link in links}
    assert paths == {f"/s/{invitation.token}/", f"/u/{invitation.token}/"}
    assert sum("?score=" in link for link in links) == 11  # NPS 0–10

    before = _snapshot()
    for link in sorted(links):
        parts = urlsplit(link)
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        for method in (client.get, client.head):
            response = method(target, follow=True)
            assert response.status_code < 500, (link, response.status_code)
    assert _snapshot() == before
