"""One `redis.asyncio` client per event loop and URL: the proxy's Redis calls without a thread.

Django's cache has no native async (its `aget` runs the sync client on a worker thread), and a
client is bound to the loop it first ran on. Clients are kept per loop object, weakly, so a
loop that is closed and collected (tests run one per scenario) takes its clients with it and a
new loop never inherits one whose connections belong to another.

Bounded waits: a Redis that stops answering fails the call (and the request: fail closed) after
a few seconds instead of holding it forever, which is what redis-py does by default.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer

TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 2.0

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


def client(url: str) -> Any:
    """This loop's client for `url` (created on first use; connections open lazily)."""
    import redis.asyncio as redis

    clients = _by_loop.setdefault(asyncio.get_running_loop(), {})
    found = clients.get(url)
    if found is None:
        found = clients[url] = redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
    return found


_serializer = RedisSerializer()


async def cache_get(key: str) -> Any:
    """A value of the Django cache (`REDIS_URL`), read on the loop: the cache's own key name
    and decoding, so it is exactly what `cache.get(key)` returns (None when absent)."""
    raw = await client(settings.REDIS_URL).get(cache.make_key(key))
    return None if raw is None else _serializer.loads(raw)
