"""Managers' reports: filters from the query string, selectors and helpers (issue 5)."""
