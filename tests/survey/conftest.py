"""A questionnaire with every question kind and a conditional question, and its invitation."""

import pytest

from surveys import models as m
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

REASONS = [
    {"value": "slow", "en": "Too slow", "zh-hans": "太慢"},
    {"value": "rude", "en": "Unfriendly", "zh-hans": "不友好"},
]
TOPICS = [
    {"value": "billing", "en": "Billing", "zh-hans": "账单"},
    {"value": "login", "en": "Signing in", "zh-hans": "登录"},
]


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.ROOT_URLCONF = "tests.survey.urls"
    # Rate-limit counters must not leak between tests (or developers sharing a file cache).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def add(questionnaire, key, kind, **fields):
    fields.setdefault("text", f"Question {key}?")
    fields.setdefault("text_zh_hans", f"问题 {key}？")
    return QuestionFactory(questionnaire=questionnaire, key=key, kind=kind, **fields)


@pytest.fixture
def questionnaire(db):
    q = QuestionnaireFactory(thank_you="We read every answer.", thank_you_zh_hans="每条回答我们都会阅读。")
    add(q, "nps", m.QuestionKind.NPS, required=True)
    add(
        q,
        "why",
        m.QuestionKind.SINGLE_CHOICE,
        choices=REASONS,
        condition_key="nps",
        condition_values=[str(n) for n in range(7)],
        required=True,
    )
    add(q, "csat", m.QuestionKind.CSAT)
    add(q, "ces", m.QuestionKind.CES)
    add(q, "stars", m.QuestionKind.RATING)
    add(q, "topics", m.QuestionKind.MULTI_CHOICE, choices=TOPICS)
    add(q, "solved", m.QuestionKind.YES_NO)
    add(q, "complain", m.QuestionKind.YES_NO, raises_complaint=True)
    add(q, "comment", m.QuestionKind.TEXT)
    return q


@pytest.fixture
def campaign(questionnaire):
    return CampaignFactory(questionnaire=questionnaire, alert_recipients="lead@example.com\nboss@example.com")


@pytest.fixture
def invitation(campaign):
    return InvitationFactory(campaign=campaign)


def url(invitation, **query):
    from urllib.parse import urlencode

    base = f"/s/{invitation.token}/"
    return f"{base}?{urlencode(query)}" if query else base
