"""A shared version stamp for keys and teams, so every proxy process drops a revoked key fast.

Every committed key or team change calls `keys_version_bump()`. Proxy processes keep keys in an
in-process cache and call `keys_version()` at most once a second; when the value differs from
the one they loaded with, they reload. Compare for *inequality*, never order: after a Redis
eviction the stamp restarts from the current time, which is still a different value.

Storage: the Django cache when `REDIS_URL` is set (shared by every process and host); otherwise a
small file under `var/`, which every process on this machine sees (local mode is one machine).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from console import redis_async

CACHE_KEY = "kordon:keys:version"
FILE_NAME = "keys.version"


def _use_cache() -> bool:
    return bool(settings.REDIS_URL)


def _path() -> Path:
    return Path(settings.VAR_DIR) / FILE_NAME


def keys_version_bump() -> int:
    """Move the stamp to a new value and return it. Call it from `transaction.on_commit`."""
    if _use_cache():
        # Starting from the clock means a stamp recreated after eviction never repeats an old one.
        if cache.add(CACHE_KEY, time.time_ns(), timeout=None):
            return int(cache.get(CACHE_KEY))
        return int(cache.incr(CACHE_KEY))
    value = max(time.time_ns(), _read_file() + 1)
    path = _path()
    # Write then rename: a reader sees the old or the new value, never a half-written one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys.version.")
    with os.fdopen(fd, "w") as handle:
        handle.write(str(value))
    Path(tmp).replace(path)
    return value


def keys_version() -> int:
    """The current stamp (0 when nothing was ever bumped). Cheap: one cache GET or file read.

    Errors (Redis down) propagate: the caller must fail closed rather than serve stale keys.
    """
    if _use_cache():
        return int(cache.get(CACHE_KEY) or 0)
    return _read_file()


async def akeys_version() -> int:
    """`keys_version()` for async callers (the proxy), without a thread hop for Redis.

    Read with the loop's own async client: Django's `cache.aget` runs the sync client on a
    worker thread, ~1.5 ms per check on an idle machine (stage trace), and requests that come
    more than a second apart each pay the check.
    """
    if _use_cache():
        return int(await redis_async.cache_get(CACHE_KEY) or 0)
    return _read_file()


def _read_file() -> int:
    try:
        return int(_path().read_text() or 0)
    except FileNotFoundError:
        return 0
