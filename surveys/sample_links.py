"""Links of the admin's "Send me a test" email: signed, expiring, and pointing at a test survey
that records nothing (views/sample_survey.py). No row stands behind them: the signature is
the only key, and it carries what the page needs (campaign, questionnaire, language)."""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from .models import Language

# A salt of its own, so no other signed value of the project can pass for a test link.
_SALT = "surveys.sample-survey"
# Long enough to try the email over a weekend, short enough that a forwarded test dies.
TEST_LINK_MAX_AGE = timedelta(days=7)
# The test link's path segment where an invitation's token goes: /s/test/<signed>/.
TEST_PREFIX = "test/"


@dataclass(frozen=True)
class SampleLink:
    campaign_id: int
    questionnaire_id: int
    language: str


def sample_link_token(*, campaign_id: int, questionnaire_id: int, language: str) -> str:
    """The signed value for a test survey of this campaign's questionnaire (URL-safe)."""
    return signing.dumps({"c": campaign_id, "q": questionnaire_id, "l": language}, salt=_SALT, compress=True)


class SampleLinkExpired(Exception):
    """The signature is good but older than TEST_LINK_MAX_AGE."""


def sample_link_read(signed: str) -> SampleLink | None:
    """What ``signed`` carries, or None when it is not one of ours (tampered, another salt,
    malformed). Raises SampleLinkExpired when it is ours but too old."""
    try:
        data = signing.loads(signed, salt=_SALT, max_age=TEST_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise SampleLinkExpired from exc
    except signing.BadSignature:
        return None
    try:
        campaign_id, questionnaire_id, language = int(data["c"]), int(data["q"]), str(data["l"])
    except (KeyError, TypeError, ValueError):
        return None
    return SampleLink(
        campaign_id=campaign_id,
        questionnaire_id=questionnaire_id,
        language=language if language in Language.values else Language.EN,
    )
