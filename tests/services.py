"""Which real services the test run has, and the rule for when one is missing."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("KORDON_REQUIRE_SERVICES", "") in {"1", "true", "yes", "on"}


def need(variable: str) -> str:
    """The service URL in `variable`; skip without it, or fail when services are required."""
    value = os.environ.get(variable, "")
    if not value:
        message = f"{variable} is not set"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} but KORDON_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    return value
