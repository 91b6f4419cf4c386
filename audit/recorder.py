"""Audit records for proxy requests, written from the async hot path.

`open_record` inserts the row before the proxy forwards anything or releases any answer byte; if
that insert fails the request fails (fail closed). `write_final` writes a finished row in one
insert (a request refused before forwarding, or /v1/models). `complete` queues the end-of-request
fields, applied off the response path.

On PostgreSQL each insert is sent at once, pipelined on the worker's own connection from the
event loop (`audit.pg_pipeline`: no thread hop, no waiting for another request's statement), and
completions go in batches (`audit.pg_writer`). Elsewhere (SQLite in local mode) inserts that
arrive while a batch is being written go together in the next one, on long-lived database
threads (`run_db`), never a thread per request. No prompt, answer or detected value is ever
passed here: only counts, types, names and the keyed hash of the caller's `user`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import pg_pipeline, pg_writer, sealing
from audit.models import AuditRecord

logger = logging.getLogger("kordon.audit")

T = TypeVar("T")
COMPLETE_RETRIES = 3
# Completions wait this long to be batched: one transaction for many records, and the work
# happens away from the moment the answer ends (when the same client's next request arrives).
COMPLETE_DELAY_SECONDS = 0.025
COMPLETION_FIELDS = (
    "status_code",
    "error_code",
    "backend",
    "residency",
    "fallbacks_tried",
    "actions",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "latency_ms",
    "upstream_ms",
    "completed_at",
)

# Two long-lived database threads (each with its own connection): one for work a request waits
# on (key loads; inserts outside PostgreSQL), one for bookkeeping after the answer
# (completions), so a commit of the latter never delays the former.
_executors = {
    "request": ThreadPoolExecutor(max_workers=1, thread_name_prefix="kordon-db"),
    "background": ThreadPoolExecutor(max_workers=1, thread_name_prefix="kordon-db-bg"),
}


def _configure(background: bool) -> None:
    """Once per connection: the commit durability this lane needs.

    Inserts (the request lane) follow KORDON_AUDIT_SYNC_COMMIT. Completions (the background
    lane) update rows whose insert was already committed, after the answer has gone: they never
    wait for a disk flush of their own, so they never add one to the next request's insert.
    """
    raw = connection.connection  # the DB-API connection; a reconnect gets a new one
    if getattr(connection, "_kordon_configured_for", None) is raw:
        return
    if background or not settings.KORDON_AUDIT_SYNC_COMMIT:
        statement = {
            "postgresql": "SET synchronous_commit TO off",
            "sqlite": "PRAGMA synchronous = NORMAL",
        }.get(connection.vendor)
        if statement:
            with connection.cursor() as cursor:
                cursor.execute(statement)
    connection._kordon_configured_for = raw


def _guarded(fn: Callable[..., T], args: tuple[Any, ...], background: bool) -> T:
    try:
        connection.ensure_connection()
        _configure(background)
        return fn(*args)
    except Exception:
        # Never keep a connection that may be broken: the next call reconnects.
        with contextlib.suppress(Exception):
            connection.close()
        raise


async def run_db(fn: Callable[..., T], *args: Any, background: bool = False) -> T:
    """Run a short sync ORM function on one of the proxy's two database threads."""
    loop = asyncio.get_running_loop()
    executor = _executors["background" if background else "request"]
    return await loop.run_in_executor(executor, _guarded, fn, args, background)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: copies, never foreign keys (deleting a team keeps its history)."""

    team: str
    team_id: int | None
    key_prefix: str
    end_user: str = ""


@dataclass(slots=True)
class Completion:
    status_code: int
    error_code: str = ""
    backend: str = ""
    residency: str = ""
    fallbacks_tried: list[str] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: Decimal | None = None
    latency_ms: float | None = None
    upstream_ms: float | None = None


def end_user_hash(user: str) -> str:
    """Keyed hash of the caller's `user` field: lets auditors group requests, never reverse them."""
    if not user:
        return ""
    key = settings.KORDON_HASH_KEY.encode()
    return hmac.new(key, user.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


Row = dict[str, Any]  # one record's columns and values


class _BatchedInserts:
    """Other databases (SQLite in local mode): records wait together and go as one batch (one
    transaction) on the database thread, one batch at a time; each caller awaits its own
    record's commit. Writes run in their own task, so a cancelled caller never cuts one short."""

    def __init__(self) -> None:
        self.pending: list[tuple[Row, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None  # held: the loop keeps weak references

    async def insert(self, row: Row) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self.pending.append((row, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await run_db(_insert_rows, [row for row, _ in batch])
            except Exception as exc:
                logger.error("audit insert failed (%d records): %s", len(batch), type(exc).__name__)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


_FIELDS = AuditRecord._meta.concrete_fields
_TABLE = AuditRecord._meta.db_table
# Every column's default, computed once: a row starts as a copy (the list and dict defaults
# are shared but never mutated; rows are only serialised).
_DEFAULTS: Row = {f.column: f.get_default() for f in _FIELDS}
_PG_INSERT = pg_writer.insert_sql(_TABLE, [f.column for f in _FIELDS])
_PG_COMPLETE = pg_writer.update_sql(
    _TABLE,
    AuditRecord._meta.pk.column,  # type: ignore[union-attr]
    [AuditRecord._meta.get_field(name).column for name in COMPLETION_FIELDS],  # type: ignore[union-attr]
    # A record sealed as incomplete (open past the grace period) is immutable: skip its late
    # completion instead of letting the trigger fail the other records of the batch.
    only_if_null=AuditRecord._meta.get_field("seq").column,  # type: ignore[union-attr]
)


# PostgreSQL: each insert pipelined on the worker's own connection, sent at once.
_pipelined = pg_pipeline.PipelinedWriter("request")
_batched = _BatchedInserts()


async def _insert(row: Row) -> None:
    """Write one record before the request goes on; raises when it did not commit."""
    if not pg_writer.is_postgresql():
        await _batched.insert(row)
        return
    try:
        await _pipelined.execute(
            _PG_INSERT,
            pg_writer.rows_json([row]).encode(),
            synchronous_commit=settings.KORDON_AUDIT_SYNC_COMMIT,
        )
    except Exception as exc:
        logger.error("audit insert failed: %s", type(exc).__name__)
        raise


async def reset_connections() -> None:
    """Close this event loop's audit connections (tests run one loop per scenario)."""
    await _pipelined.reset()
    await pg_writer.background.reset()


def _insert_rows(rows: list[Row]) -> None:
    """Other databases (SQLite in local mode): one INSERT per record, in one transaction,
    values adapted by the model's own fields."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _FIELDS)
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    sql = f"INSERT INTO {quote(_TABLE)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    params = [[f.get_db_prep_save(row[f.column], connection) for f in _FIELDS] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _new_row(
    *,
    caller: Caller,
    endpoint: str,
    model_requested: str,
    stream: bool,
    route: str,
    policy_version: int | None,
    entities: dict[str, int] | None,
    categories: list[str] | None,
    **outcome: Any,
) -> Row:
    """The fields every record starts with (who, what, under which policy), plus `outcome`."""
    row = dict(_DEFAULTS)
    row.update(
        id=uuid.uuid4(),
        team=caller.team,
        team_id=caller.team_id,
        key_prefix=caller.key_prefix,
        end_user=caller.end_user,
        endpoint=endpoint,
        model_requested=model_requested[:200],
        route=route,
        policy_version=policy_version,
        stream=stream,
        entities=entities or {},
        categories=categories or [],
        **outcome,
    )
    return row


async def open_record(
    *,
    caller: Caller,
    endpoint: str,
    model_requested: str,
    stream: bool,
    route: str = "",
    policy_version: int | None = None,
    entities: dict[str, int] | None = None,
    categories: list[str] | None = None,
) -> uuid.UUID:
    """Insert the record before anything is forwarded. Raises on failure: the caller refuses."""
    row = _new_row(
        caller=caller,
        endpoint=endpoint,
        model_requested=model_requested,
        stream=stream,
        route=route,
        policy_version=policy_version,
        entities=entities,
        categories=categories,
        timestamp=timezone.now(),
    )
    await _insert(row)
    return row["id"]


async def write_final(
    *,
    caller: Caller,
    endpoint: str,
    model_requested: str,
    stream: bool,
    status_code: int,
    error_code: str,
    latency_ms: float,
    route: str = "",
    policy_version: int | None = None,
    entities: dict[str, int] | None = None,
    categories: list[str] | None = None,
) -> uuid.UUID:
    """A finished record, in one insert: a request refused before forwarding, or /v1/models."""
    now = timezone.now()
    row = _new_row(
        caller=caller,
        endpoint=endpoint,
        model_requested=model_requested,
        stream=stream,
        route=route,
        policy_version=policy_version,
        entities=entities,
        categories=categories,
        timestamp=now,
        completed_at=now,
        status_code=status_code,
        error_code=error_code,
        latency_ms=round(latency_ms, 3),
    )
    await _insert(row)
    return row["id"]


class _Completions:
    """Applies queued completions in batches, one statement or transaction each."""

    def __init__(self) -> None:
        self.pending: list[tuple[uuid.UUID, dict[str, Any]]] = []
        self.task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()

    def add(self, record_id: uuid.UUID, fields: dict[str, Any]) -> None:
        self.pending.append((record_id, fields))
        if self.task is None or self.task.done():
            self.idle = asyncio.Event()
            self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending:
                await asyncio.sleep(COMPLETE_DELAY_SECONDS)
                batch, self.pending = self.pending, []
                for attempt in range(COMPLETE_RETRIES):
                    try:
                        await apply_completions(batch)
                        break
                    except Exception as exc:
                        logger.error(
                            "audit completion failed (%d records, attempt %d): %s",
                            len(batch),
                            attempt + 1,
                            type(exc).__name__,
                        )
                        await asyncio.sleep(0.2 * (attempt + 1))
        finally:
            self.idle.set()


Completions = list[tuple[uuid.UUID, dict[str, Any]]]


async def apply_completions(batch: Completions) -> None:
    """Write one batch of completions: one UPDATE on PostgreSQL (from the event loop), one
    transaction of UPDATEs elsewhere; then seal inline where no beat runs (local mode)."""
    if pg_writer.is_postgresql():
        rows = [{"id": record_id, **values} for record_id, values in batch]
        params = (pg_writer.rows_json(rows), [record_id for record_id, _ in batch])
        await pg_writer.background.execute(_PG_COMPLETE, params, synchronous_commit=False)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            await run_db(_seal_inline, background=True)
    else:
        await run_db(_apply, batch, background=True)


def _apply(batch: Completions) -> None:
    """One UPDATE statement run for every record of the batch, in one transaction.

    A prepared executemany instead of a queryset per record: the ORM's per-query work would
    otherwise be most of the cost (values are adapted by the model's own fields).
    """
    meta = AuditRecord._meta
    fields = [meta.get_field(name) for name in COMPLETION_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(meta.pk.column)} = %s"  # type: ignore[union-attr]
        # A record sealed as incomplete (open past the grace period) is immutable: skip its late
        # completion instead of letting the trigger fail the other records of the batch.
        f" AND {quote(meta.get_field('seq').column)} IS NULL"  # type: ignore[union-attr]
    )
    rows = [
        [f.get_db_prep_value(values[f.name], connection) for f in fields]  # type: ignore[union-attr]
        + [meta.pk.get_db_prep_value(record_id, connection)]  # type: ignore[union-attr]
        for record_id, values in batch
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    _seal_inline()


def _seal_inline() -> None:
    # Without Celery beat (local mode) nothing else seals completed records; throttled, no-op
    # when a broker runs the sealer. A sealing failure is not a completion failure.
    try:
        sealing.seal_if_eager()
    except Exception as exc:
        logger.error("inline audit sealing failed: %s", type(exc).__name__)


_completions = _Completions()


def complete(record_id: uuid.UUID, done: Completion) -> None:
    """Queue the end-of-request fields (status, error, tokens, cost, timings, fallbacks)."""
    _completions.add(
        record_id,
        {
            "status_code": done.status_code,
            "error_code": done.error_code,
            "backend": done.backend,
            "residency": done.residency,
            "fallbacks_tried": list(done.fallbacks_tried),
            "actions": dict(done.actions),
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "cost": done.cost,
            "latency_ms": None if done.latency_ms is None else round(done.latency_ms, 3),
            "upstream_ms": None if done.upstream_ms is None else round(done.upstream_ms, 3),
            "completed_at": timezone.now(),
        },
    )


async def drain() -> None:
    """Wait (at most 5 s) until queued completions are written (tests, shutdown)."""
    if _completions.task is not None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await _completions.idle.wait()
