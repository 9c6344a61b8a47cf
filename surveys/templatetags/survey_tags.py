"""Template helpers for the survey page."""

from django import template
from django.utils import translation

from ..scale_meanings import score_meaning as meaning

register = template.Library()


@register.simple_tag
def translated(obj, field: str, language: str) -> str:
    """``obj.tr(field, language)``: the text in ``language``, English when no translation exists.

    A simple tag's output is autoescaped, so designer-typed text stays inert.
    """
    return obj.tr(field, language)


@register.simple_tag
def score_meaning(kind: str, value, language: str) -> str:
    """What score ``value`` on a ``kind`` scale means, in ``language`` ("" when just a number)."""
    with translation.override(language):
        return meaning(kind, value)
