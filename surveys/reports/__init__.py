"""Managers' reports: filters from the query string, the figures (metrics.py, aggregates.py,
figures.py), the daily rollups (rollups_write.py, rollups_read.py) and display helpers."""
