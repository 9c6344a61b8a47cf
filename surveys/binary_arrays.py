"""Lists go to PostgreSQL in psycopg's binary array format.

Django's ``bulk_create`` on PostgreSQL sends each column as one array (``INSERT … SELECT * FROM
UNNEST(%s::type[], …)``). psycopg dumps a list in its text format by default: every element
rendered, then quoted and backslash-escaped with a regular expression to build the array
literal, which for a JSON payload means escaping every quote of the document. In binary no
element is escaped: a stored event's payload goes as its JSON text behind a length. psycopg's
adaptation settings are per connection (``Connection.adapters``, docs "Data adaptation
configuration"); this registers its own ``ListBinaryDumper`` for ``list`` on every new
PostgreSQL connection, the last registered dumper being the one psycopg picks for ``%s``.

Measured with ``bench/bench_import.py`` (docs/benchmarks.md): a quarter less CPU an imported
row. Values and types are unchanged: PostgreSQL receives the same arrays (tests/test_binary_arrays.py).
"""

from django.db.backends.signals import connection_created
from django.dispatch import receiver
from psycopg.types.array import ListBinaryDumper


@receiver(connection_created, dispatch_uid="surveys.binary_arrays")
def lists_in_binary(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_dumper(list, ListBinaryDumper)
