"""The shared policy version stamp that tells every process a new version is live.

With REDIS_URL the stamp is a key in the shared Django cache (one GET per process per second);
without it, the stamp is the latest published version number read from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from console import redis_async


def _key() -> str:
    # Scoped by database name so several deployments (and test databases) can share one Redis.
    return f"kordon:policy-stamp:{settings.DATABASES['default']['NAME']}"


# (number, content hash): the hash makes a reused number (a restored or reset database) a
# different stamp, so no process keeps deciding under a document that is no longer live.
Stamp = tuple[int, str]


def _latest() -> Stamp | None:
    from routing.models import PolicyVersion

    row = (
        PolicyVersion.objects.filter(state=PolicyVersion.State.PUBLISHED, number__isnull=False)
        .order_by("-number")
        .values_list("number", "content_hash")
        .first()
    )
    return (row[0], row[1]) if row else None


def latest_published_number() -> int | None:
    latest = _latest()
    return latest[0] if latest else None


def policy_stamp() -> Stamp | None:
    """The live version as every process should see it."""
    if not settings.REDIS_URL:
        return _latest()
    shared = _parse(cache.get(_key()))
    if shared is not None:
        return shared
    stamp = _latest()
    if stamp is not None:
        # add, not set: never overwrite a newer stamp a concurrent publish has just written.
        cache.add(_key(), f"{stamp[0]}:{stamp[1]}", timeout=None)
    return stamp


async def shared_stamp() -> Stamp | None:
    """The stamp in Redis read on the event loop, or None when there is none to read (local
    mode, never written, unparseable): the caller then takes `policy_stamp()`'s full path.

    Read like `cache.get`, but on the loop (`cache.aget` would take a worker thread).
    """
    if not settings.REDIS_URL:
        return None
    return _parse(await redis_async.cache_get(_key()))


def _parse(raw: object) -> Stamp | None:
    if isinstance(raw, str) and ":" in raw:
        number, _, digest = raw.partition(":")
        if number.isdigit():
            return int(number), digest
    return None


def policy_stamp_bump(number: int, content_hash: str) -> None:
    """Run after the commit that published `number`."""
    if settings.REDIS_URL:
        cache.set(_key(), f"{number}:{content_hash}", timeout=None)


def policy_stamp_forget() -> None:
    """Drop a shared stamp that disagrees with the database (the next read re-adds the truth).

    Deleting (never setting) cannot hide a newer stamp for long: a concurrent publish either
    lands after the delete, or is re-read from the database by the next `policy_stamp()`.
    """
    if settings.REDIS_URL:
        cache.delete(_key())
