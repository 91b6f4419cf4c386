"""Bearer-key authentication for the proxy (adrf: async `authenticate`).

Keys are looked up by their stored prefix in an in-process cache, so the hot path makes no
database round trip for a known key. The cache is dropped whenever the shared stamp
`keys.versioning` changes; the stamp is read at most once a second, so a revoke or an expiry
change reaches every process within about a second of its commit. An unknown prefix and a wrong
secret give the same 401; the digest is compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from audit.recorder import run_db
from keys import hashing, versioning
from keys.models import ApiKey

logger = logging.getLogger("kordon.proxy")

VERSION_CHECK_SECONDS = 1.0
LAST_USED_EVERY_SECONDS = 60.0
MAX_CACHED = 50_000  # bounded: unknown prefixes are cached as misses too


class InvalidApiKey(Exception):
    """No usable key: unknown, wrong secret, revoked or expired (the proxy answers 401)."""

    def __init__(self, message: str = "Invalid API key.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What the proxy needs about a key and its team; no secret, only the stored digest."""

    id: int
    prefix: str
    digest: str
    team_id: int
    team_slug: str
    team_name: str
    models: frozenset[str]
    team_models: frozenset[str]
    rpm: int | None
    tpm: int | None
    budget: Decimal | None
    team_rpm: int | None
    team_tpm: int | None
    team_budget: Decimal | None
    tags: tuple[str, ...]
    expires_ts: float | None
    revoked: bool
    # Creation times (epoch seconds): with the ids they name limit counters uniquely, even
    # when a database is recreated and ids are reused while Redis keeps old counters.
    created_ts: int = 0
    team_created_ts: int = 0

    def may_use(self, alias: str) -> bool:
        """Key and team lists both apply; an empty list allows every alias the policy offers."""
        return (not self.models or alias in self.models) and (
            not self.team_models or alias in self.team_models
        )


class KeyPrincipal:
    """`request.user` for proxy requests: an authenticated caller identified by its key."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, key: KeyInfo) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"key {self.key.prefix}"


def key_info(key: ApiKey) -> KeyInfo:
    team = key.team
    return KeyInfo(
        id=key.pk,
        prefix=key.prefix,
        digest=key.digest,
        team_id=team.pk,
        team_slug=team.slug,
        team_name=team.name,
        models=frozenset(key.allowed_models or ()),
        team_models=frozenset(team.allowed_models or ()),
        rpm=key.rpm_limit,
        tpm=key.tpm_limit,
        budget=key.monthly_budget_usd,
        team_rpm=team.rpm_limit,
        team_tpm=team.tpm_limit,
        team_budget=team.monthly_budget_usd,
        tags=tuple(str(t) for t in key.tags or ()),
        expires_ts=key.expires_at.timestamp() if key.expires_at else None,
        revoked=key.revoked_at is not None,
        created_ts=int(key.created_at.timestamp()) if key.created_at else 0,
        team_created_ts=int(team.created_at.timestamp()) if team.created_at else 0,
    )


class KeyCache:
    """Prefix → KeyInfo (or None for a known miss), valid for one version of the shared stamp."""

    def __init__(self) -> None:
        self.entries: dict[str, KeyInfo | None] = {}
        self.version: int | None = None
        self.checked_at = float("-inf")
        self.generation = 0
        self._lock: asyncio.Lock | None = None
        self._last_used: dict[int, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def clear(self) -> None:
        self.entries.clear()
        self.generation += 1
        self.checked_at = float("-inf")

    async def _fresh(self) -> None:
        if time.monotonic() - self.checked_at < VERSION_CHECK_SECONDS:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self.checked_at < VERSION_CHECK_SECONDS:
                return
            # An unreadable stamp raises: better refuse than serve a possibly revoked key.
            version = await versioning.akeys_version()
            if version != self.version:
                self.entries.clear()
                self.generation += 1
                self.version = version
            self.checked_at = time.monotonic()

    async def get(self, prefix: str) -> KeyInfo | None:
        await self._fresh()
        if prefix in self.entries:
            return self.entries[prefix]
        generation = self.generation
        info = await run_db(_load, prefix)
        if generation == self.generation:  # a version change meanwhile makes this load stale
            if len(self.entries) >= MAX_CACHED:
                self.entries.clear()
            self.entries[prefix] = info
        return info

    def touch(self, key: KeyInfo) -> None:
        """Schedule a `last_used_at` update, at most once a minute per key, off the hot path."""
        now = time.monotonic()
        if now - self._last_used.get(key.id, float("-inf")) < LAST_USED_EVERY_SECONDS:
            return
        self._last_used[key.id] = now
        task = asyncio.get_running_loop().create_task(_touch(key.id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _load(prefix: str) -> KeyInfo | None:
    row = ApiKey.objects.select_related("team").filter(prefix=prefix).first()
    return key_info(row) if row is not None else None


def _touch_sync(key_id: int) -> None:
    ApiKey.objects.filter(pk=key_id).update(last_used_at=timezone.now())


async def _touch(key_id: int) -> None:
    with contextlib.suppress(Exception):  # bookkeeping only; never fails a request
        await run_db(_touch_sync, key_id, background=True)


cache = KeyCache()


def bearer_secret(request: Request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 256:
        raise InvalidApiKey()
    return secret


async def authenticate_secret(secret: str) -> KeyInfo:
    """The active key for `secret`, or InvalidApiKey (same error for unknown and wrong)."""
    key = await cache.get(hashing.split_prefix(secret))
    # Compare even when the prefix is unknown, so both paths cost the same.
    digest = hashing.key_digest(secret)
    if key is None or not hmac.compare_digest(digest, key.digest):
        raise InvalidApiKey()
    if key.revoked:
        raise InvalidApiKey("This API key has been revoked.")
    if key.expires_ts is not None and key.expires_ts <= time.time():
        raise InvalidApiKey("This API key has expired.")
    cache.touch(key)
    return key


class ApiKeyAuthentication(BaseAuthentication):
    """DRF authentication class; the proxy views await it directly (no thread hop)."""

    async def authenticate(self, request: Request) -> tuple[KeyPrincipal, KeyInfo]:  # type: ignore[override]
        key = await authenticate_secret(bearer_secret(request))
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="kordon"'
