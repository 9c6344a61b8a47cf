"""docs/privacy.md classifies every text field of the product's models, and names a test for
every place personal data lives; a new field or a renamed test fails here first."""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

DOC = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text()
TESTS = Path(__file__).resolve().parent


def text_fields() -> set[str]:
    return {
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("surveys").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    }


def test_every_text_field_is_classified_in_docs_privacy():
    mentioned = set(re.findall(r"`([A-Z][A-Za-z]+\.[a-z_]+)`", DOC))

    assert text_fields() - mentioned == set()


def test_every_test_the_table_names_exists():
    named = set(re.findall(r"`(test_[a-z_]+)`", DOC))
    defined = set()
    for path in TESTS.glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z_]+)\(", path.read_text(), re.MULTILINE))

    assert named, "the table names its tests"
    assert named - defined == set()
