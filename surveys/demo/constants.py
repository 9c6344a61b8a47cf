"""The natural keys that mark demo rows, the sizes of the demo, and its random streams."""

import random
import uuid

# Every demo ticket carries this source; with the questionnaire lineage below it is how a
# second run recognises the demo and how --reset finds the rows it may delete.
DEMO_SOURCE = "demo"
DEMO_LINEAGE = uuid.UUID("5eed0000-de70-4000-8000-000000000001")
AGENT_PREFIX = "demo-a-"
CUSTOMER_PREFIX = "demo-c-"
TICKET_PREFIX = "D-"

CUSTOMERS = 1500
TICKETS = 2000
DAYS = 90
BATCH_SIZE = 500

_SEED = "surveys-demo-v1"


def rng_for(part: str) -> random.Random:
    """A random stream per part of the demo.

    Separate streams keep each part's distribution fixed when another part changes how many
    numbers it draws. String seeds are hashed with SHA-512, so they do not depend on
    PYTHONHASHSEED: every run draws the same numbers.
    """
    return random.Random(f"{_SEED}:{part}")  # noqa: S311 - demo data, not a secret


def clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))
