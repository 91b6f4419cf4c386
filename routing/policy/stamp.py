"""The shared policy version stamp that tells every process a new version is live.

With REDIS_URL the stamp is a key in the shared Django cache (one GET per process per second);
without it, the stamp is the latest published version number read from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _key() -> str:
    # Scoped by database name so several deployments (and test databases) can share one Redis.
    return f"kordon:policy-stamp:{settings.DATABASES['default']['NAME']}"


def latest_published_number() -> int | None:
    from routing.models import PolicyVersion

    return (
        PolicyVersion.objects.filter(state=PolicyVersion.State.PUBLISHED, number__isnull=False)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )


def policy_stamp() -> int | None:
    """The live version number as every process should see it."""
    if not settings.REDIS_URL:
        return latest_published_number()
    stamp = cache.get(_key())
    if stamp is None:
        stamp = latest_published_number()
        if stamp is not None:
            # add, not set: never overwrite a newer stamp a concurrent publish has just written.
            cache.add(_key(), stamp, timeout=None)
    return stamp


def policy_stamp_bump(number: int) -> None:
    """Run after the commit that published `number`."""
    if settings.REDIS_URL:
        cache.set(_key(), number, timeout=None)
