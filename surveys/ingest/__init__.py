"""Getting ticket events in: payload validation, webhook signatures and CSV row mapping.

Pure functions with no database access.
"""
