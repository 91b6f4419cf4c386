from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings as django_settings

from keys import versioning
from tests.services import need


def test_file_stamp_changes_on_every_bump(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    assert versioning.keys_version() == 0
    seen = {versioning.keys_version_bump() for _ in range(50)}
    assert len(seen) == 50
    assert versioning.keys_version() == max(seen)


def test_file_stamp_is_seen_by_another_process(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    value = versioning.keys_version_bump()
    env = {**os.environ, "KORDON_VAR_DIR": str(tmp_path), "REDIS_URL": ""}
    env.pop("DATABASE_URL", None)
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'console.settings');"
        "django.setup(); from keys.versioning import keys_version; print(keys_version())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    assert out.stdout.strip().splitlines()[-1] == str(value)


def test_cache_stamp_with_redis(settings):
    need("REDIS_URL")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    from django.core.cache import cache

    cache.delete(versioning.CACHE_KEY)
    assert versioning.keys_version() == 0
    first = versioning.keys_version_bump()
    second = versioning.keys_version_bump()
    assert first != 0 and second == first + 1 == versioning.keys_version()
    cache.delete(versioning.CACHE_KEY)  # eviction: the next bump still gives a new value
    assert versioning.keys_version_bump() not in {0, first, second}


def test_async_reader_matches(settings, tmp_path):
    import asyncio

    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    value = versioning.keys_version_bump()
    assert asyncio.run(versioning.akeys_version()) == value


def test_async_reader_with_redis_reads_what_the_cache_wrote(settings):
    """The proxy reads the stamp with its own async client; the console writes it through
    Django's cache. Each `asyncio.run` is a new loop: its client must be its own."""
    import asyncio

    need("REDIS_URL")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    from django.core.cache import cache

    cache.delete(versioning.CACHE_KEY)
    assert asyncio.run(versioning.akeys_version()) == 0
    for _ in range(3):
        value = versioning.keys_version_bump()
        assert asyncio.run(versioning.akeys_version()) == value == versioning.keys_version()
