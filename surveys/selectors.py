"""Reads for views, admin and exports. select_related / prefetch decisions live here."""
