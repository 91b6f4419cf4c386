from __future__ import annotations

import base64
import hashlib
import hmac

from keys import hashing


def test_secret_has_prefix_and_at_least_32_random_bytes():
    secret = hashing.generate_secret()
    assert secret.startswith("kdn_")
    body = secret.removeprefix("kdn_")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) >= 32
    assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_secrets_differ():
    assert len({hashing.generate_secret() for _ in range(200)}) == 200


def test_prefix_is_first_12_characters():
    secret = hashing.generate_secret()
    assert hashing.split_prefix(secret) == secret[:12]
    assert len(hashing.split_prefix(secret)) == 12


def test_digest_is_hmac_sha256_with_the_pepper(settings):
    settings.KORDON_KEY_PEPPER = "pepper-one"
    secret = "kdn_" + "a" * 43
    expected = hmac.new(b"pepper-one", secret.encode(), hashlib.sha256).hexdigest()
    assert hashing.key_digest(secret) == expected
    assert hashing.digest_matches(secret, expected)
    assert not hashing.digest_matches(secret + "x", expected)
    settings.KORDON_KEY_PEPPER = "pepper-two"
    assert not hashing.digest_matches(secret, expected)  # the pepper is part of the hash
