"""Changing the brand (surveys/models/brand.py)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from ..brand_logo import inspect
from ..models import Brand
from ..selectors_brand import CACHE_KEY

KEEP = object()


def _forget() -> None:
    cache.delete(CACHE_KEY)  # fails open: the entry then expires within CACHE_SECONDS


@transaction.atomic
def brand_update(*, name: str, primary_colour: str, logo: bytes | None | object = KEEP) -> Brand:
    """Set the organisation's brand, creating its one row the first time.

    ``primary_colour`` is ``#rrggbb`` or "" (the product's own colours). ``logo`` is the new
    logo's bytes (checked by ``brand_logo.inspect``: LogoError if refused), None to remove it,
    or ``KEEP``. Raises ValidationError for a bad name or colour. Every process shows the
    change from its next request: the cached brand is dropped when the change commits.
    """
    brand = Brand.objects.select_for_update().filter(singleton=True).first() or Brand()
    brand.name = name.strip()
    brand.primary_colour = primary_colour.strip().lower()
    if logo is None:
        brand.logo = None
        brand.logo_type = brand.logo_hash = ""
        brand.logo_width = brand.logo_height = None
    elif logo is not KEEP:
        checked = inspect(logo)
        brand.logo = logo
        brand.logo_type, brand.logo_hash = checked.content_type, checked.digest
        brand.logo_width, brand.logo_height = checked.width, checked.height
    brand.full_clean()
    brand.save()
    transaction.on_commit(_forget)
    return brand
