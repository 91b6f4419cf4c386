"""The live policy in each process, re-checked against the shared stamp at most once a second.

The proxy calls `active_policy()` on every request: almost always a dict lookup and a clock read.
Once a second one caller re-reads the stamp (a Redis GET, or one indexed DB query without Redis);
when it moved, the new version is loaded, parsed and compiled, then swapped in whole.
Fail closed: no published policy, or a stamp/version that cannot be read → PolicyUnavailable.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from routing.policy.document import Policy, parse_policy
from routing.policy.stamp import policy_stamp, policy_stamp_forget, shared_stamp
from routing.privacy import MaskRule

CHECK_INTERVAL = 1.0  # seconds between stamp checks per process


class PolicyUnavailable(RuntimeError):
    """No usable published policy: the proxy answers 503 no_compliant_backend."""


class _NothingPublished(PolicyUnavailable):
    pass


@dataclass(frozen=True)
class ActivePolicy:
    version: int
    policy: Policy
    custom: Any  # routing.detection.CustomMatchers | None (None: no custom categories)
    content_hash: str = ""

    # Worked out once per loaded version, on the object itself: a version number alone does
    # not name a document (a restored or reset database reuses numbers).
    @functools.cached_property
    def entity_rules(self) -> dict[str, MaskRule]:
        """ENTITY -> masking rule (what masking consumes); read-only."""
        return self.policy.entity_rules()

    @functools.cached_property
    def output_entities(self) -> frozenset[str]:
        """Entities of the categories scanned in answers too (options.output_scan)."""
        policy = self.policy
        return frozenset(
            e
            for c in policy.categories
            if c.name in policy.options.output_scan
            for e in c.all_entities()
        )


class _Cache:
    def __init__(self) -> None:
        self.current: ActivePolicy | None = None
        self.checked_at = float("-inf")
        self.failed_at = float("-inf")
        self.failure = ""
        self.lock = threading.Lock()


_cache = _Cache()


def compile_custom(policy: Policy) -> Any:
    """The detector's compiled matchers for the policy's own categories (None if it has none)."""
    custom = [c for c in policy.categories if c.is_custom]
    if not custom:
        return None
    from routing.detection import CustomCategory, get_detector

    return get_detector().compile_custom(
        [CustomCategory(name=c.name, patterns=c.patterns, terms=c.terms) for c in custom]
    )


def load_version(number: int) -> ActivePolicy:
    """Parse and compile a stored published version (also used by the console)."""
    from routing.models import PolicyVersion

    row = PolicyVersion.objects.filter(number=number).only("document", "content_hash").first()
    if row is None:
        raise PolicyUnavailable(f"policy version {number} does not exist")
    policy = parse_policy(row.document)
    return ActivePolicy(
        version=number,
        policy=policy,
        custom=compile_custom(policy),
        content_hash=row.content_hash,
    )


def _refresh() -> ActivePolicy:
    with _cache.lock:
        now = time.monotonic()
        if _cache.current is not None and now - _cache.checked_at < CHECK_INTERVAL:
            return _cache.current  # another thread refreshed while we waited
        if _cache.failure and now - _cache.failed_at < CHECK_INTERVAL:
            # Still failing: refuse without another read, so a broken database or Redis is not
            # hammered by every request; retried once a second.
            raise PolicyUnavailable(_cache.failure)
        try:
            _cache.current = _load_current()
        except PolicyUnavailable as exc:
            # Fail closed: no request is decided under a policy that may be stale. A read
            # failure is remembered for a second; "none published yet" is re-read every time.
            _cache.current = None
            _cache.failure = "" if isinstance(exc, _NothingPublished) else str(exc)
            _cache.failed_at = time.monotonic()
            if not isinstance(exc, _NothingPublished) and not connection.in_atomic_block:
                # The refresh runs on a long-lived thread: drop its connection so the retry a
                # second later opens a fresh one instead of failing on a dead socket for good.
                connection.close()
            raise
        _cache.failure = ""
        _cache.checked_at = time.monotonic()
        return _cache.current


def _load_current() -> ActivePolicy:
    for attempt in range(2):
        try:
            stamp = policy_stamp()
        except Exception as exc:  # any read failure
            raise PolicyUnavailable("cannot read the policy version stamp") from exc
        if stamp is None:
            raise _NothingPublished("no published policy")
        number, digest = stamp
        current = _cache.current
        if current is not None and (current.version, current.content_hash) == stamp:
            return current
        try:
            loaded = load_version(number)
        except Exception as exc:
            loaded = None
            failure: Exception = exc
        if loaded is not None and loaded.content_hash == digest:
            return loaded
        if attempt == 0:
            # The shared stamp disagrees with the database (e.g. it was reset): drop the stamp,
            # read the truth from the database once more.
            policy_stamp_forget()
            continue
        if loaded is None:
            raise PolicyUnavailable(f"policy version {number} cannot be loaded") from failure
    raise PolicyUnavailable("the policy version stamp does not match the database")


def _fresh() -> ActivePolicy | None:
    current = _cache.current
    if current is not None and time.monotonic() - _cache.checked_at < CHECK_INTERVAL:
        return current
    return None


def active_policy_sync() -> ActivePolicy:
    """The live policy; raises PolicyUnavailable when there is none."""
    return _fresh() or _refresh()


async def active_policy() -> ActivePolicy:
    """The live policy for async callers: no thread hop unless the policy changed (or the
    check fails, or there is no shared stamp to check against)."""
    current = _fresh() or await _still_current()
    if current is not None:
        return current
    return await sync_to_async(_refresh)()


_check: asyncio.Task[ActivePolicy | None] | None = None


async def _still_current() -> ActivePolicy | None:
    """One check at a time per loop: the requests that find it due together share one read."""
    global _check
    if _cache.current is None or _cache.failure or not settings.REDIS_URL:
        return None  # nothing to confirm, or no shared stamp: the full path decides
    loop = asyncio.get_running_loop()
    check = _check
    if check is None or check.done() or check.get_loop() is not loop:
        check = _check = loop.create_task(_read_still_current())
    # Shielded: a request that goes away does not cancel the read the others wait for.
    return await asyncio.shield(check)


async def _read_still_current() -> ActivePolicy | None:
    """The policy this process holds, when the shared stamp (read on the loop) still names it.

    The 1 s check is what every request pays when requests come more than a second apart; on
    a worker thread it cost ~0.4 ms on an idle machine. Anything else (a new version, no
    stamp, Redis failing) goes the full way, which loads or fails closed.
    """
    current = _cache.current
    if current is None:
        return None
    try:
        stamp = await shared_stamp()
    except Exception:
        return None  # the full path reads again, and refuses if it cannot
    if stamp != (current.version, current.content_hash):
        return None
    if _cache.current is current:  # a refresh on a thread meanwhile keeps its own time
        _cache.checked_at = time.monotonic()
    return current


def forget() -> None:
    """Drop the per-process copy (tests, and after a publish in this very process)."""
    with _cache.lock:
        _cache.current = None
        _cache.checked_at = float("-inf")
        _cache.failed_at = float("-inf")
