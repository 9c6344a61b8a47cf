"""The invitation written straight to its wire form reads the same as Django's own message."""

import email
import email.policy
from email.utils import parsedate_to_datetime

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import BadHeaderError, sanitize_address

from surveys import models as m
from surveys.emails import invitation_email_message
from surveys.services.sending import message_id_for
from surveys.services.sending_smtp import message_wire
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _invitation_message(language, **campaign_kwargs):
    campaign = CampaignFactory(**campaign_kwargs)
    QuestionFactory(questionnaire=campaign.questionnaire, kind=m.QuestionKind.NPS, order=1)
    customer = CustomerFactory(name="Łucja Żółć 张伟", email="lucja@example.org")
    ticket = TicketFactory(customer=customer, subject="Drucker brennt — 打印机着火了 " * 4)
    invitation = InvitationFactory(campaign=campaign, ticket=ticket, customer=customer, language=language)
    message = invitation_email_message(invitation=invitation)
    message.extra_headers["Message-ID"] = message_id_for(invitation, reminder=0)
    return message


@pytest.mark.parametrize("language", m.Language.values)
@pytest.mark.parametrize(
    "sender",
    [
        {},
        {"sender_name": "Acme Support", "sender_email": "care@acme.example"},
        {"sender_name": "客服 Müller", "sender_email": "care@acme.example"},
        {"sender_name": "客服 Müller"},
    ],
    ids=["default", "ascii", "unicode", "name-only"],
)
def test_wire_form_reads_the_same_as_djangos_message(language, sender):
    message = _invitation_message(language, **sender)

    envelope_from, recipients, data = message_wire(message)
    ours, django = _parse(data), _parse(message.message().as_bytes(linesep="\r\n"))

    assert envelope_from == sanitize_address(message.from_email, "utf-8")
    assert recipients == [sanitize_address(message.to[0], "utf-8")]
    for name in [
        "Subject",
        "From",
        "To",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "MIME-Version",
    ]:
        # Django folds a long encoded subject twice and gains a leading space; compare words.
        assert str(ours[name]).split() == str(django[name]).split(), name
    assert ours["Subject"] == message.subject
    assert (
        abs((parsedate_to_datetime(ours["Date"]) - parsedate_to_datetime(django["Date"])).total_seconds()) < 5
    )
    assert ours.get_content_type() == "multipart/alternative"
    ours_parts, django_parts = list(ours.iter_parts()), list(django.iter_parts())
    assert [p.get_content_type() for p in ours_parts] == ["text/plain", "text/html"]
    for mine, theirs in zip(ours_parts, django_parts, strict=True):
        assert mine.get_content_type() == theirs.get_content_type()
        assert mine.get_content_charset() == "utf-8"
        assert mine.get_content().replace("\r\n", "\n") == theirs.get_content().replace("\r\n", "\n")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line ends in CRLF, as SMTP wants


def _simple(**kwargs):
    defaults = {
        "subject": "Hi",
        "body": "text",
        "from_email": "a@example.com",
        "to": ["b@example.org"],
        "headers": {"Message-ID": "<x@example.com>"},
    }
    message = EmailMultiAlternatives(**{**defaults, **kwargs})
    message.attach_alternative("<p>html</p>", "text/html")
    return message


@pytest.mark.parametrize(
    "message",
    [
        EmailMessage(
            "Hi", "text", "a@example.com", ["b@example.org"], headers={"Message-ID": "<x@example.com>"}
        ),
        _simple(cc=["c@example.org"]),
        _simple(to=["b@example.org", "c@example.org"]),
        _simple(body="x" * 2000),  # a line SMTP cannot carry as it is: quoted-printable
        _simple(headers={}),
    ],
    ids=["no-html", "cc", "two-recipients", "long-line", "no-message-id"],
)
def test_other_shapes_of_message_go_djangos_way(message):
    assert message_wire(message) is None


def test_no_header_injection():
    message = _simple(subject="Hi\r\nBcc: victim@example.org")
    with pytest.raises(BadHeaderError):
        message_wire(message)
