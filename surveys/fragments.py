"""Rendered HTML kept in this process, for the parts of the survey page that rarely change.

Rendering a question through crispy-forms costs about half a millisecond; the same question in
the same language with the same value renders the same HTML every time. A fragment's key names
everything its HTML depends on, so an edited question or another language is a new key and
nothing needs invalidating; the least recently used entries fall out of a bounded dict.

Kept on a measurement (docs/benchmarks.md, "Survey page", bench/bench_survey.py, 2026-12-05 at
load average ~10): the GET median of the 7-question survey is 35–37 ms without it and 16.8 ms
with it, most of the difference crispy-forms rendering the same blocks again. tests/survey/test_hot_path.py's twin test checks that a page served from
these fragments is byte for byte the page crispy-forms renders without them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from crispy_forms.layout import HTML, Div
from crispy_forms.utils import flatatt
from django.utils import translation
from django.utils.functional import cached_property

MAX_FRAGMENTS = 4096


class FragmentCache:
    """A bounded, thread-safe LRU of rendered strings."""

    def __init__(self, size: int = MAX_FRAGMENTS):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key, html) -> None:
        with self._lock:
            self._items[key] = html
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


FRAGMENTS = FragmentCache()


def question_fingerprint(question) -> str:
    """Every stored field of the question (pk alone would survive an edit; a field added to
    the model later is covered without touching this)."""
    return repr(tuple(getattr(question, field.attname) for field in question._meta.concrete_fields))


class _Cached:
    """Mixin for crispy layout objects: reuse the rendering when ``fragment_key`` allows it."""

    def fragment_key(self, form) -> tuple | None:
        raise NotImplementedError

    def render(self, form, context, template_pack=None, **kwargs):
        key = self.fragment_key(form)
        if key is not None:
            key = (type(self).__name__, template_pack, translation.get_language(), *key)
            html = FRAGMENTS.get(key)
            if html is not None:
                # crispy's bookkeeping of which fields the layout has already rendered
                form.rendered_fields.update(self.field_names)
                return html
        html = super().render(form, context, template_pack=template_pack, **kwargs)
        if key is not None:
            FRAGMENTS.put(key, html)
        return html


class QuestionBlock(_Cached, Div):
    """One question's block. An unbound form's block depends only on the question, the
    language, the form's ids and the field's initial value; a bound one (errors, posted
    values) or one showing what a customer typed (``form.cacheable`` false) is always rendered
    afresh, so no customer's words stay in this process."""

    def __init__(self, *fields, question, css_id=None, css_class=None, template=None, **attrs):
        super().__init__(*fields, css_id=css_id, css_class=css_class, template=template)
        self.question = question
        self.field_names = (question.key,)
        # The <div>'s attributes are flattened only when the block is rendered, not when it
        # is served from FRAGMENTS (Div.__init__ flattened none: it was given none).
        self._attrs = attrs
        del self.flat_attrs

    @cached_property
    def flat_attrs(self) -> str:
        return flatatt(self._attrs)

    def fragment_key(self, form) -> tuple | None:
        if form.is_bound or not form.cacheable:
            return None
        value = form[self.question.key].value()
        return (
            form.language,
            form.prefix,
            form.auto_id,
            question_fingerprint(self.question),
            repr(value),
        )


class StaticHTML(_Cached, HTML):
    """A fixed snippet of template (it reads no form data): rendered once per language."""

    field_names = ()

    def fragment_key(self, form) -> tuple | None:
        return (self.html,)
