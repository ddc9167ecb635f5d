"""Skipping a test whose outside service (PostgreSQL, Redis, SoftHSM2) is missing — except in CI.

A newcomer without Redis or SoftHSM2 still gets a green run of what can run; CI sets
REQUIRE_SERVICES=1 so a missing service fails loudly instead of skipping quietly.
"""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"


def service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)
