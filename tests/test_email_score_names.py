"""The invitation email read aloud: each score link is named with its meaning, in the
email's language, and the footer is readable (4.5:1 or more)."""

import re

import pytest

from surveys import models as m
from surveys.emails import invitation_email_render
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

pytestmark = pytest.mark.django_db


def names(kind, language) -> list[str]:
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=kind, order=1)
    invitation = InvitationFactory(campaign=CampaignFactory(questionnaire=questionnaire), language=language)
    html = invitation_email_render(invitation=invitation)["html"]
    return re.findall(r'\?score=\d+" title="([^"]+)" aria-label="\1"', html)


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        (
            m.QuestionKind.NPS,
            "en",
            {0: "0 – Not at all likely", 9: "9 – Very likely", 10: "10 – Extremely likely"},
        ),
        (m.QuestionKind.NPS, "zh-hans", {0: "0 – 完全不可能", 9: "9 – 很可能", 10: "10 – 极有可能"}),
        (m.QuestionKind.CSAT, "en", {0: "1 – Very dissatisfied", 3: "4 – Satisfied"}),
        (m.QuestionKind.CES, "en", {6: "7 – Very easy"}),
        (m.QuestionKind.RATING, "en", {0: "1 star", 4: "5 stars"}),
    ],
)
def test_each_score_link_is_named_with_its_meaning(kind, language, expected):
    found = names(kind, language)

    low, high = m.SCALE_RANGES[kind]
    assert len(found) == high - low + 1
    assert {i: found[i] for i in expected} == expected


def test_footer_and_unsubscribe_link_colours_reach_4_5_to_1():
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    html = invitation_email_render(
        invitation=InvitationFactory(campaign=CampaignFactory(questionnaire=questionnaire))
    )["html"]

    # #6b7280 on the #f3f4f6 background was 4.39:1.
    assert "#6b7280" not in html
    assert re.search(r'<a href="[^"]+/u/[^"]+" style="color:#374151;', html)
    assert '<meta name="color-scheme" content="light">' in html
