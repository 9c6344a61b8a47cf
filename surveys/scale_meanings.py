"""What each score of a one-click scale means, in words.

A screen reader reads a score button or an email's score link by its name; a bare "9" says
nothing about which end is good. Each score is therefore named "9 – Very likely": the number
as shown, then its meaning in the survey's language. Used by the survey page's buttons
(templates/surveys/crispy/button_scale.html) and the invitation email's links.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import CES_LABELS, CSAT_LABELS, NPS_ENDS
from .models import QuestionKind

# 0 and 10 are the labels printed under the row; the steps between read as a smooth scale.
NPS_MEANINGS = (
    NPS_ENDS[0],
    _("Very unlikely"),
    _("Very unlikely"),
    _("Unlikely"),
    _("Unlikely"),
    _("Neither likely nor unlikely"),
    _("Somewhat likely"),
    _("Likely"),
    _("Likely"),
    _("Very likely"),
    NPS_ENDS[1],
)


def score_meaning(kind: str, value) -> str:
    """The words for ``value`` on a ``kind`` scale in the active language, or "" if it has none."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    if kind == QuestionKind.NPS and 0 <= number <= 10:
        return str(NPS_MEANINGS[number])
    if kind == QuestionKind.CSAT and 1 <= number <= len(CSAT_LABELS):
        return str(CSAT_LABELS[number - 1])
    if kind == QuestionKind.CES and 1 <= number <= len(CES_LABELS):
        return str(CES_LABELS[number - 1])
    if kind == QuestionKind.RATING and 1 <= number <= 5:
        return ngettext("%(n)s star", "%(n)s stars", number) % {"n": number}
    return ""


def score_name(kind: str, value) -> str:
    """The accessible name of a score: "9 – Very likely"; "4 stars" for a star; else the number."""
    meaning = score_meaning(kind, value)
    if kind == QuestionKind.RATING and meaning:
        return meaning  # "4 stars" already says the number
    return f"{value} – {meaning}" if meaning else str(value)
