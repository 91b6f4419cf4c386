"""The certificates Kordon trusts when it calls a backend over `https://`.

Public roots (certifi, as httpx uses) for external APIs, plus the organisation's own CA bundle
from `KORDON_BACKEND_CA_FILE` for in-country servers behind an internal CA. Verification is
never switched off: a backend whose certificate does not verify counts as unavailable.
"""

from __future__ import annotations

import functools
import ssl

import certifi
from django.conf import settings


@functools.cache
def backend_ssl_context() -> ssl.SSLContext:
    """One context per process (read-only once built, so every backend's pool shares it)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if settings.KORDON_BACKEND_CA_FILE:
        context.load_verify_locations(cafile=settings.KORDON_BACKEND_CA_FILE)
    return context
