"""The questionnaire designer's text fields: a question's choices and its display condition,
edited as plain text in the admin and stored as JSON lists."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from surveys.models import Language

CHOICE_VALUE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
RANGE_RE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
# A range wider than any scale is a typo, not a wish for a thousand stored strings.
MAX_CONDITION_VALUES = 100


def parse_choice_lines(text: str) -> list[dict[str, str]]:
    """``value | English | 中文`` per line → ``[{"value", "en", "zh-hans"}]``; errors name the line."""
    choices: list[dict[str, str]] = []
    errors: list[ValidationError] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            errors.append(ValidationError(_("Line %(n)s has more than three parts."), params={"n": number}))
            continue
        value, english, chinese = (parts + ["", ""])[:3]
        if not CHOICE_VALUE_RE.match(value):
            errors.append(
                ValidationError(
                    _("Line %(n)s: the value “%(value)s” may use only letters, digits, - and _."),
                    params={"n": number, "value": value},
                )
            )
            continue
        if not english:
            errors.append(ValidationError(_("Line %(n)s needs an English label."), params={"n": number}))
            continue
        if value in seen:
            errors.append(
                ValidationError(
                    _("Line %(n)s repeats the value “%(value)s”."), params={"n": number, "value": value}
                )
            )
            continue
        seen.add(value)
        choices.append({"value": value, "en": english, Language.ZH_HANS: chinese})
    if errors:
        raise ValidationError(errors)
    return choices


def format_choice_lines(choices: list[dict[str, str]]) -> str:
    lines = []
    for choice in choices or []:
        parts = [choice.get("value", ""), choice.get("en", "")]
        if choice.get(Language.ZH_HANS):
            parts.append(choice[Language.ZH_HANS])
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_condition_values(text: str) -> list[str]:
    """``0-6``, ``0,1,2``, ``yes`` or ``billing,other`` → a list of strings, numbers normalised."""
    values: list[str] = []
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        span = RANGE_RE.match(token)
        if span:
            low, high = int(span[1]), int(span[2])
            if low > high:
                raise ValidationError(_("The range “%(range)s” runs backwards."), params={"range": token})
            if high - low >= MAX_CONDITION_VALUES:
                raise ValidationError(_("The range “%(range)s” is too wide."), params={"range": token})
            values.extend(str(n) for n in range(low, high + 1))
        elif token.isdigit():
            values.append(str(int(token)))
        elif CHOICE_VALUE_RE.match(token):
            values.append(token)
        else:
            raise ValidationError(
                _("“%(value)s” is not a number, a range or a choice value."), params={"value": token}
            )
    unique = list(dict.fromkeys(values))
    if len(unique) > MAX_CONDITION_VALUES:
        raise ValidationError(_("Too many answers listed."))
    return unique


def format_condition_values(values: list[str]) -> str:
    """The inverse of ``parse_condition_values``: runs of whole numbers come back as ``a-b``."""
    numbers = sorted({int(v) for v in values if str(v).isdigit()})
    words = [str(v) for v in values if not str(v).isdigit()]
    parts: list[str] = []
    start = previous = None
    for n in [*numbers, None]:
        if previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = n
    return ",".join(parts + words)


class _ListAsTextField(forms.CharField):
    """A JSON list edited as text; subclasses say how to parse and format it."""

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # A model JSONField hands its encoder and decoder to whatever form field it is given.
        kwargs["required"] = False
        super().__init__(**kwargs)

    def parse(self, text: str) -> list:
        raise NotImplementedError

    def format(self, values: list) -> str:
        raise NotImplementedError

    def prepare_value(self, value):
        return self.format(value) if isinstance(value, list) else value

    def to_python(self, value):
        return self.parse(super().to_python(value) or "")

    def has_changed(self, initial, data):
        try:
            return (initial or []) != self.to_python(data)
        except ValidationError:
            return True


class ChoicesTextField(_ListAsTextField):
    """Edits the JSON list of choices as one ``value | English | 中文`` line per choice."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 50})

    def parse(self, text: str) -> list:
        return parse_choice_lines(text)

    def format(self, values: list) -> str:
        return format_choice_lines(values)


class ConditionValuesField(_ListAsTextField):
    """Edits the list of answers that show a question, as ``0-6`` or ``billing,other``."""

    widget = forms.TextInput(attrs={"size": 20})

    def parse(self, text: str) -> list:
        return parse_condition_values(text)

    def format(self, values: list) -> str:
        return format_condition_values(values)
