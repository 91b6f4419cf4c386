from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from routing.policy import services, stamp, store
from tests.routing.policy_fixtures import contract_doc
from tests.services import need

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_store():
    store.forget()
    yield
    store.forget()


@pytest.mark.django_db
def test_no_published_policy_is_unavailable():
    with pytest.raises(store.PolicyUnavailable):
        store.active_policy_sync()


@pytest.mark.django_db
def test_active_policy_follows_imports(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_import(document=contract_doc(), actor=None)
    first = store.active_policy_sync()
    assert first.version == 1
    assert store.active_policy_sync() is first  # cached within the second
    doc = contract_doc()
    doc["routes"].reverse()
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_import(document=doc, actor=None)
    second = store.active_policy_sync()
    assert second.version == 2
    assert second.policy.routes[0].name == "default"


@pytest.mark.django_db(transaction=True)
def test_async_active_policy_returns_the_same_object():
    services.policy_import(document=contract_doc(), actor=None)

    async def twice():
        pair = await store.active_policy(), await store.active_policy()
        await sync_to_async(connections.close_all)()  # the worker thread's connection
        return pair

    a, b = asyncio.run(twice())
    assert a.version == 1 and a is b


@pytest.mark.django_db(transaction=True)
def test_another_process_import_is_seen_within_two_seconds(tmp_path):
    services.policy_import(document=contract_doc(), actor=None)
    assert store.active_policy_sync().version == 1
    doc_path = tmp_path / "p.yaml"
    doc_path.write_text((ROOT / "tests/routing/contract_policy.yaml").read_text())
    # Another process on this test database (SQLite file or PostgreSQL; Redis stamp when set).
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.routing.server_settings",
        KORDON_TEST_DB_NAME=str(settings.DATABASES["default"]["NAME"]),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "importpolicy", str(doc_path), "--comment", "other process"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    published = time.monotonic()
    while store.active_policy_sync().version != 2:
        assert time.monotonic() - published < 2.0, "new version not seen within 2 s"
        time.sleep(0.05)


@pytest.mark.django_db
def test_a_reused_version_number_with_other_content_is_noticed(
    django_capture_on_commit_callbacks,
):
    """A reset database may hand out number 1 again: the content hash tells them apart."""
    from routing.models import PolicyVersion
    from routing.policy.document import parse_policy
    from routing.policy.serialize import content_hash, to_document

    with django_capture_on_commit_callbacks(execute=True):
        services.policy_import(document=contract_doc(), actor=None)
    assert store.active_policy_sync().policy.routes[0].name == "ids-stay-home"
    doc = contract_doc()
    doc["routes"].reverse()
    replaced = parse_policy(doc)
    # Another process publishes number 1 again with another document (as after a reset).
    PolicyVersion.objects.filter(number=1).update(
        document=to_document(replaced), content_hash=content_hash(replaced)
    )
    stamp.policy_stamp_bump(1, content_hash(replaced))
    store._cache.checked_at = float("-inf")  # the next once-a-second check is due
    active = store.active_policy_sync()
    assert active.version == 1 and active.policy.routes[0].name == "default"


@pytest.mark.django_db
def test_a_stale_shared_stamp_is_corrected_from_the_database(django_capture_on_commit_callbacks):
    from routing.models import PolicyVersion
    from routing.policy.document import parse_policy
    from routing.policy.serialize import content_hash, to_document

    with django_capture_on_commit_callbacks(execute=True):
        services.policy_import(document=contract_doc(), actor=None)
    doc = contract_doc()
    doc["routes"].reverse()
    replaced = parse_policy(doc)
    # The database changed and the shared stamp (Redis, when used) was never told.
    PolicyVersion.objects.filter(number=1).update(
        document=to_document(replaced), content_hash=content_hash(replaced)
    )
    store.forget()
    assert store.active_policy_sync().policy.routes[0].name == "default"
    assert stamp.policy_stamp() == (1, content_hash(replaced))


@pytest.mark.django_db
def test_a_failing_read_is_refused_and_retried_a_second_later(monkeypatch):
    calls = []

    def broken():
        calls.append(1)
        raise ConnectionError("database down")

    monkeypatch.setattr(store, "policy_stamp", broken)
    with pytest.raises(store.PolicyUnavailable):
        store.active_policy_sync()
    with pytest.raises(store.PolicyUnavailable):
        store.active_policy_sync()
    assert len(calls) == 1  # not re-read within the second
    monkeypatch.setattr(store, "policy_stamp", stamp.policy_stamp)
    store._cache.failed_at = float("-inf")
    with pytest.raises(store.PolicyUnavailable, match="no published policy"):
        store.active_policy_sync()


@pytest.mark.django_db(transaction=True)
def test_the_loop_reads_the_same_shared_stamp_and_follows_a_new_version(settings):
    """The once-a-second check reads the stamp on the event loop (no thread) when Redis holds
    one: it must read exactly what the sync reader does, keep the policy while it is unchanged
    and take a newly published one."""
    need("REDIS_URL")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    services.policy_import(document=contract_doc(), actor=None)
    doc = contract_doc()
    doc["routes"].reverse()

    async def scenario():
        first = await store.active_policy()
        shared, read = await stamp.shared_stamp(), await sync_to_async(stamp.policy_stamp)()
        store._cache.checked_at = float("-inf")  # the check is due
        again = await store.active_policy()
        await sync_to_async(services.policy_import)(document=doc, actor=None)
        store._cache.checked_at = float("-inf")
        second = await store.active_policy()
        await sync_to_async(connections.close_all)()
        return first, shared, read, again, second

    first, shared, read, again, second = asyncio.run(scenario())
    assert shared == read == (1, first.content_hash)
    assert again is first
    assert second.version == 2 and second.policy.routes[0].name == "default"


def test_without_redis_there_is_no_shared_stamp_to_read_on_the_loop(settings):
    settings.REDIS_URL = ""
    assert asyncio.run(stamp.shared_stamp()) is None


def _redis_gets() -> int:
    import redis

    stats = redis.from_url(os.environ["REDIS_URL"]).info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


@pytest.mark.django_db(transaction=True)
def test_requests_that_find_the_check_due_together_share_one_read(settings):
    need("REDIS_URL")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    services.policy_import(document=contract_doc(), actor=None)

    async def scenario():
        first = await store.active_policy()
        store._cache.checked_at = float("-inf")
        before = _redis_gets()
        together = await asyncio.gather(*(store.active_policy() for _ in range(20)))
        reads = _redis_gets() - before
        await sync_to_async(connections.close_all)()
        return first, together, reads

    first, together, reads = asyncio.run(scenario())
    assert all(p is first for p in together)
    assert reads == 1
