"""The live policy in each process, re-checked against the shared stamp at most once a second.

The proxy calls `active_policy()` on every request: almost always a dict lookup and a clock read.
Once a second one caller re-reads the stamp (a Redis GET, or one indexed DB query without Redis);
when it moved, the new version is loaded, parsed and compiled, then swapped in whole.
Fail closed: no published policy, or a stamp/version that cannot be read → PolicyUnavailable.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

from routing.policy.document import Policy, parse_policy
from routing.policy.stamp import policy_stamp

CHECK_INTERVAL = 1.0  # seconds between stamp checks per process


class PolicyUnavailable(RuntimeError):
    """No usable published policy: the proxy answers 503 no_compliant_backend."""


@dataclass(frozen=True)
class ActivePolicy:
    version: int
    policy: Policy
    custom: Any  # routing.detection.CustomMatchers | None (None: no custom categories)


class _Cache:
    def __init__(self) -> None:
        self.current: ActivePolicy | None = None
        self.checked_at = float("-inf")
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

    row = PolicyVersion.objects.filter(number=number).only("document").first()
    if row is None:
        raise PolicyUnavailable(f"policy version {number} does not exist")
    policy = parse_policy(row.document)
    return ActivePolicy(version=number, policy=policy, custom=compile_custom(policy))


def _refresh() -> ActivePolicy:
    with _cache.lock:
        if _cache.current is not None and time.monotonic() - _cache.checked_at < CHECK_INTERVAL:
            return _cache.current  # another thread refreshed while we waited
        try:
            stamp = policy_stamp()
        except Exception as exc:  # any read failure: fail closed, retry on the next call
            raise PolicyUnavailable("cannot read the policy version stamp") from exc
        if stamp is None:
            _cache.current = None
            raise PolicyUnavailable("no published policy")
        if _cache.current is None or _cache.current.version != stamp:
            try:
                _cache.current = load_version(stamp)
            except PolicyUnavailable:
                raise
            except Exception as exc:
                raise PolicyUnavailable(f"policy version {stamp} cannot be loaded") from exc
        _cache.checked_at = time.monotonic()
        return _cache.current


def _fresh() -> ActivePolicy | None:
    current = _cache.current
    if current is not None and time.monotonic() - _cache.checked_at < CHECK_INTERVAL:
        return current
    return None


def active_policy_sync() -> ActivePolicy:
    """The live policy; raises PolicyUnavailable when there is none."""
    return _fresh() or _refresh()


async def active_policy() -> ActivePolicy:
    """The live policy for async callers: no thread hop unless the 1 s check is due."""
    current = _fresh()
    if current is not None:
        return current
    return await sync_to_async(_refresh)()


def forget() -> None:
    """Drop the per-process copy (tests, and after a publish in this very process)."""
    with _cache.lock:
        _cache.current = None
        _cache.checked_at = float("-inf")
