"""An answer on its way to the database: what ``SurveyForm.answers()`` gives and the
response services (``services/responses.py``) store."""

from __future__ import annotations

from dataclasses import dataclass, field

from surveys.models import Question


@dataclass(frozen=True)
class AnswerData:
    """One visible, answered question, shaped like an ``Answer`` row."""

    question: Question
    number: int | None = None
    choices: list[str] = field(default_factory=list)
    text: str = ""
