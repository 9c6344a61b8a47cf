"""Template context every page can use."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .selectors_brand import brand_current


def brand(request):
    """``brand`` (a BrandView), read only by a template that uses it (the customer's pages),
    so staff pages pay nothing for it."""
    return {"brand": SimpleLazyObject(brand_current)}
