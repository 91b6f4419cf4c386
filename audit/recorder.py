"""Audit records for proxy requests, written from the async hot path.

`open_record` inserts the row before the proxy forwards anything or releases any answer byte; if
that insert fails the request fails (fail closed). `write_final` writes a finished row in one
insert for requests refused before forwarding (bad body, limits, policy). `complete` queues the
end-of-request fields; a background flusher applies queued completions in batches, in one
transaction, off the response path. No prompt, answer or detected value is ever passed here:
only counts, types, names and the keyed hash of the caller's `user`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditRecord

logger = logging.getLogger("kordon.audit")

FLUSH_DELAY_SECONDS = 0.02  # batch completions for at most this long
FLUSH_RETRIES = 3


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
    backend: str = "",
    residency: str = "",
) -> uuid.UUID:
    """Insert the record before anything is forwarded. Raises on failure: the caller refuses."""
    record = await AuditRecord.objects.acreate(
        timestamp=timezone.now(),
        team=caller.team,
        team_id=caller.team_id,
        key_prefix=caller.key_prefix,
        end_user=caller.end_user,
        endpoint=endpoint,
        model_requested=model_requested[:200],
        backend=backend,
        route=route,
        residency=residency,
        policy_version=policy_version,
        stream=stream,
        entities=entities or {},
        categories=categories or [],
    )
    return record.id


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
    record = await AuditRecord.objects.acreate(
        timestamp=now,
        completed_at=now,
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
        status_code=status_code,
        error_code=error_code,
        latency_ms=round(latency_ms, 3),
    )
    return record.id


class Flusher:
    """Applies queued completions in batches from a worker thread, one transaction per batch."""

    def __init__(self) -> None:
        self.pending: list[tuple[uuid.UUID, dict[str, Any]]] = []
        self.task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()

    def add(self, record_id: uuid.UUID, fields: dict[str, Any]) -> None:
        self.pending.append((record_id, fields))
        if self.task is None or self.task.done():
            self.idle = asyncio.Event()
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self.pending:
                await asyncio.sleep(FLUSH_DELAY_SECONDS)
                batch, self.pending = self.pending, []
                for attempt in range(FLUSH_RETRIES):
                    try:
                        await sync_to_async(_apply, thread_sensitive=False)(batch)
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


def _apply(batch: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    try:
        with transaction.atomic():
            for record_id, fields in batch:
                AuditRecord.objects.filter(pk=record_id).update(**fields)
    finally:
        connection.close()  # this worker thread's connection goes back to the pool


_flusher: Flusher | None = None


def complete(record_id: uuid.UUID, done: Completion) -> None:
    """Queue the end-of-request fields (status, error, tokens, cost, timings, fallbacks)."""
    global _flusher
    if _flusher is None:
        _flusher = Flusher()
    _flusher.add(
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
    if _flusher is not None and _flusher.task is not None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await _flusher.idle.wait()


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
