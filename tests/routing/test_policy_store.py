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

from routing.policy import services, store
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
    url = need("DATABASE_URL")
    services.policy_import(document=contract_doc(), actor=None)
    assert store.active_policy_sync().version == 1
    doc_path = tmp_path / "p.yaml"
    doc_path.write_text((ROOT / "tests/routing/contract_policy.yaml").read_text())
    test_db = settings.DATABASES["default"]["NAME"]
    env = dict(os.environ, DATABASE_URL=url.rsplit("/", 1)[0] + "/" + test_db)
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
