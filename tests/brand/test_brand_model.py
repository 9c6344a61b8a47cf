"""The brand's invariants hold in the database, whatever code writes the row."""

import pytest
from django.db import IntegrityError, transaction

from surveys.models import Brand
from tests.brand.images import png

pytestmark = pytest.mark.django_db


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            Brand.objects.create(**fields)
    except IntegrityError:
        return True
    return False


def test_there_is_at_most_one_row():
    Brand.objects.create(name="Acme")
    assert refused(name="Globex")
    assert refused(singleton=False, name="Globex")


@pytest.mark.parametrize("colour", ["#FFFF00", "yellow", "#fff", "ffff00"])
def test_a_colour_is_lowercase_hex_or_empty(colour):
    assert refused(primary_colour=colour)
    assert not refused(primary_colour="#ffff00")


def test_a_logo_comes_with_its_type_hash_and_size_and_no_logo_with_none():
    complete = {"logo_type": "image/png", "logo_hash": "0123456789abcdef", "logo_width": 1, "logo_height": 1}
    assert refused(logo=png(), **{**complete, "logo_hash": ""})
    assert refused(logo=png(), **{**complete, "logo_type": "image/svg+xml"})
    assert refused(logo=None, **complete)
    assert refused(logo=png(), **{**complete, "logo_width": 0})
    assert not refused(logo=png(), **complete)
