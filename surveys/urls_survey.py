"""URLs of this area (see surveys/urls.py)."""

urlpatterns: list = []
