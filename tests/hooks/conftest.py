# The broker boundary, as the product's own webhook tests stub it.
from tests.ingest.conftest import enqueued  # noqa: F401
