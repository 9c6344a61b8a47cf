"""Getting ticket events in: payload validation, webhook signatures and CSV row mapping.

Pure functions with no database access, except ``rows``: the precompiled SQL that
``surveys.services.tickets`` and ``surveys.services.invitations`` read and write with.
"""
