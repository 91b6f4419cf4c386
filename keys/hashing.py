"""API key secrets: how they are made, the visible prefix, and the keyed hash we store instead."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "kdn_"  # noqa: S105 -- the public format marker, not a secret
# 32 random bytes → 43 URL-safe characters; the contract asks for at least 32 bytes.
SECRET_BYTES = 32
PREFIX_LENGTH = 12  # "kdn_" + 8 characters: shown in the console and logs, never enough to use


def generate_secret() -> str:
    """A new key secret: `kdn_` followed by 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def split_prefix(secret: str) -> str:
    """The visible prefix stored next to the digest and used to look a key up."""
    return secret[:PREFIX_LENGTH]


def key_digest(secret: str) -> str:
    """HMAC-SHA-256 of the secret under the server-side pepper, hex.

    A stolen database alone does not let anyone test guesses: the pepper lives in the environment.
    """
    pepper = settings.KORDON_KEY_PEPPER.encode()
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def digest_matches(secret: str, digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(key_digest(secret), digest)


def looks_like_secret(text: str) -> bool:
    """True for a string shaped like a full secret (not just a prefix)."""
    return text.startswith(SECRET_PREFIX) and len(text) > PREFIX_LENGTH + 8
