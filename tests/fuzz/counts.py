"""Requests and 5xx answers per fuzzed surface, printed at the end of the run (docs/api.md
records them): the suite's own evidence that the fuzzers ran, and how much."""

from collections import Counter

REQUESTS: Counter = Counter()
SERVER_ERRORS: Counter = Counter()


def count(surface: str, status: int) -> None:
    REQUESTS[surface] += 1
    if status >= 500:
        SERVER_ERRORS[surface] += 1


def report() -> str:
    return "\n".join(
        f"fuzz: {surface}: {n} requests, 5xx {SERVER_ERRORS[surface]}" for surface, n in sorted(REQUESTS.items())
    )

