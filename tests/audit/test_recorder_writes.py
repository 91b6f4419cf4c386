"""The recorder's writes as the proxy makes them: batched inserts and completions, exact values.

On PostgreSQL inserts are pipelined (`audit.pg_pipeline`) and completions batched
(`audit.pg_writer`), one JSON parameter per statement, on the event loop; elsewhere through Django's connection on the database threads. Both must
store exactly what the ORM would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from audit import pg_pipeline, recorder, sealing
from audit.models import AuditRecord
from tests.services import need

pytestmark = pytest.mark.django_db(transaction=True)

CALLER = recorder.Caller(team="payments", team_id=7, key_prefix="kdn_abcd1234", end_user="e" * 64)


def run(scenario):
    """Run an async scenario; close the lanes' connections in its own event loop after it."""

    async def wrapped():
        try:
            return await scenario()
        finally:
            await recorder.reset_connections()

    return asyncio.run(wrapped())


async def _open_many(n: int) -> list[uuid.UUID]:
    # Concurrent opens: they share batches, and each caller still gets its own id back.
    return list(
        await asyncio.gather(
            *(
                recorder.open_record(
                    caller=CALLER,
                    endpoint="chat",
                    model_requested=f"assistant-{i}",
                    stream=bool(i % 2),
                    route="ids-stay-home",
                    policy_version=3,
                    entities={"KZ_IIN": i, "PERSON": 1},
                    categories=["national-id", "contact"],
                )
                for i in range(n)
            )
        )
    )


def _completion(status: int, cost: str) -> dict:
    done = recorder.Completion(
        status_code=status,
        backend="kz-local",
        residency="in-country",
        fallbacks_tried=["cloud"],
        actions={"placeholder": 2, "partial": 1},
        prompt_tokens=12,
        completion_tokens=30,
        cost=Decimal(cost),
        latency_ms=41.25,
        upstream_ms=30.5,
    )
    return {
        "status_code": done.status_code,
        "error_code": done.error_code,
        "backend": done.backend,
        "residency": done.residency,
        "fallbacks_tried": done.fallbacks_tried,
        "actions": done.actions,
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "cost": done.cost,
        "latency_ms": done.latency_ms,
        "upstream_ms": done.upstream_ms,
        "completed_at": timezone.now(),
    }


async def _write(n: int, cost: str) -> list[uuid.UUID]:
    ids = await _open_many(n)
    await recorder.apply_completions([(i, _completion(200 + k, cost)) for k, i in enumerate(ids)])
    return ids


def test_opened_and_completed_records_hold_exactly_the_values_written():
    ids = run(lambda: _write(5, "0.00012345"))
    records = {r.id: r for r in AuditRecord.objects.filter(id__in=ids)}
    assert set(records) == set(ids)
    for k, record_id in enumerate(ids):
        r = records[record_id]
        assert (r.team, r.team_id, r.key_prefix, r.end_user) == (
            "payments",
            7,
            "kdn_abcd1234",
            "e" * 64,
        )
        assert r.model_requested in {f"assistant-{i}" for i in range(5)}
        assert r.entities["PERSON"] == 1 and r.categories == ["national-id", "contact"]
        assert r.policy_version == 3 and r.route == "ids-stay-home"
        assert r.status_code == 200 + k and r.backend == "kz-local"
        assert r.fallbacks_tried == ["cloud"] and r.actions == {"placeholder": 2, "partial": 1}
        assert r.cost == Decimal("0.00012345")  # exact: never through a float
        assert r.latency_ms == 41.25 and r.prompt_tokens == 12
        assert r.timestamp <= r.completed_at
    # The chain seals what the fast path wrote (local mode already did, inline).
    sealing.seal_pending()
    assert AuditRecord.objects.filter(id__in=ids, seq__isnull=False).count() == 5


def test_a_late_completion_of_a_sealed_record_is_skipped_and_the_batch_lands():
    async def scenario() -> tuple[uuid.UUID, uuid.UUID]:
        (stale,) = await _open_many(1)
        return stale, uuid.uuid4()

    stale, _ = run(scenario)
    AuditRecord.objects.filter(id=stale).update(timestamp=timezone.now() - dt.timedelta(hours=1))
    sealing.seal_pending()  # sealed as incomplete: past the open grace period
    assert AuditRecord.objects.get(id=stale).seq is not None

    async def complete_both() -> uuid.UUID:
        (fresh,) = await _open_many(1)
        await recorder.apply_completions(
            [(stale, _completion(200, "0")), (fresh, _completion(201, "0"))]
        )
        return fresh

    fresh = run(complete_both)
    assert AuditRecord.objects.get(id=stale).status_code is None
    assert AuditRecord.objects.get(id=fresh).status_code == 201


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()  # this thread's connection: leave nothing open on the test database


def test_a_dropped_connection_is_replaced_without_failing_the_write():
    need("DATABASE_URL")
    assert connection.vendor == "postgresql"

    async def scenario() -> list[uuid.UUID]:
        first = await _open_many(1)
        pid = recorder._pipelined.backend_pid
        assert pid is not None
        # The server drops the connection (a restart or an idle timeout would).
        await asyncio.to_thread(_terminate, pid)
        second = await _open_many(1)
        assert recorder._pipelined.backend_pid not in (None, pid)
        return first + second

    ids = run(scenario)
    assert AuditRecord.objects.filter(id__in=ids).count() == 2


def test_an_insert_the_database_refuses_fails_every_caller_of_its_batch():
    async def scenario() -> None:
        with pytest.raises(Exception):  # noqa: B017 - the driver's error class, whichever vendor
            await recorder.open_record(
                caller=CALLER,
                endpoint="chat",
                model_requested="m",
                stream=False,
                policy_version=-1,  # the column's CHECK (>= 0) refuses it
            )

    run(scenario)
    assert not AuditRecord.objects.filter(model_requested="m").exists()


def test_records_in_flight_together_commit_or_fail_each_on_its_own():
    need("DATABASE_URL")
    assert connection.vendor == "postgresql"

    async def scenario() -> tuple[list[uuid.UUID], uuid.UUID]:
        await _open_many(1)  # connected: what follows is pipelined on one connection
        refused = asyncio.create_task(
            recorder.open_record(
                caller=CALLER,
                endpoint="chat",
                model_requested="refused",
                stream=False,
                policy_version=-1,  # the column's CHECK (>= 0) refuses it
            )
        )
        gone = asyncio.create_task(
            recorder.open_record(
                caller=CALLER, endpoint="chat", model_requested="gone", stream=False
            )
        )
        await asyncio.sleep(0)  # both sent
        gone.cancel()  # its caller stops waiting: the statement still commits
        # Sent behind them without waiting; neither the refusal nor the cancel is its own.
        landed = await _open_many(2)
        with pytest.raises(pg_pipeline.WriteRefused) as caught:
            await refused
        assert "-1" not in str(caught.value)  # the server's primary message, never row data
        return landed, len(recorder._pipelined._current.in_flight)

    ids, left = run(scenario)
    assert left == 0
    assert AuditRecord.objects.filter(id__in=ids).count() == 2
    assert AuditRecord.objects.filter(model_requested="gone").count() == 1
    assert not AuditRecord.objects.filter(model_requested="refused").exists()


def test_completing_a_record_rewrites_no_index_entry_on_postgresql():
    """The completion is a HOT update: no completion column is indexed and the page has room.

    An index on any of them (or a full page) makes PostgreSQL write a new entry in every index
    of the row on each completion: the database CPU the request path's inserts wait behind.
    """
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    ids = run(lambda: _open_many(3))
    with transaction.atomic(), connection.cursor() as cursor:

        def updates() -> tuple[int, int]:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE relid = %s::regclass",
                [AuditRecord._meta.db_table],
            )
            return cursor.fetchone() or (0, 0)

        before = updates()
        for k, record_id in enumerate(ids):
            AuditRecord.objects.filter(id=record_id).update(**_completion(200 + k, "0.001"))
        after = updates()
    assert (after[0] - before[0], after[1] - before[1]) == (3, 3)  # 3 updates, all HOT
