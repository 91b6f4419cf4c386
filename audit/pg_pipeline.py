"""Audit inserts a request waits on: pipelined on one PostgreSQL connection per worker.

Each statement goes to the server the moment the request asks for it, followed by a Sync (so
it is its own transaction), without waiting for the statements ahead of it: libpq's pipeline
mode. The connection's socket is watched by the event loop itself, and the callback that reads
a Sync's reply (the server's word that the transaction committed) resolves that request's
future directly. A request therefore waits for the server and two turns of the loop, never for
a writer task to start, for a lane to come free or for another request's statement.

A statement that fails (a CHECK, a duplicate id) fails only its own caller: the Sync after each
statement ends the pipeline's aborted state. A caller that stops waiting (client gone, timeout)
leaves its statement to finish; nothing is cut short mid-protocol. A broken or stuck connection
fails everything in flight (those requests are refused: fail closed) and the next statement
reconnects; a statement on a kept connection that the server had dropped is sent once more on
a new one (ids are made by the caller, so a statement that did commit can only fail the second
time, never write twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import pq

from audit.pg_writer import WRITE_TIMEOUT_SECONDS, open_connection

logger = logging.getLogger("kordon.audit")

_SYNC = pq.ExecStatus.PIPELINE_SYNC
_FAILED = (pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.PIPELINE_ABORTED)


class WriteRefused(psycopg.DatabaseError):
    """The server refused the statement; the message is its primary text only (no row data)."""


@dataclass(slots=True)
class _InFlight:
    future: asyncio.Future[None]
    error: str = ""


@dataclass
class _Connection:
    conn: psycopg.AsyncConnection[Any]
    loop: asyncio.AbstractEventLoop
    fd: int  # kept: libpq forgets its socket once the connection breaks
    prepared: dict[str, bytes] = field(default_factory=dict)  # sql -> statement name
    in_flight: deque[_InFlight] = field(default_factory=deque)
    flushing: bool = False

    @property
    def pgconn(self) -> pq.abc.PGconn:
        return self.conn.pgconn


class PipelinedWriter:
    """One pipelined connection; `execute` returns once the statement has committed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._current: _Connection | None = None
        self._connecting: asyncio.Task[_Connection] | None = None

    @property
    def backend_pid(self) -> int | None:
        return self._current.pgconn.backend_pid if self._current else None

    async def execute(self, sql: str, param: bytes, *, synchronous_commit: bool) -> None:
        """Run one statement (`$1` is `param`, as text); raises when it did not commit."""
        loop = asyncio.get_running_loop()
        if self._current is not None and self._current.loop is not loop:
            self._drop(self._current, None)  # a connection belongs to one event loop
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
                kept = self._current is not None
                try:
                    await self._send(await self._ready(synchronous_commit), sql, param)
                except psycopg.OperationalError:
                    if not kept:
                        raise
                    logger.warning("audit %s connection lost; reconnecting", self.name)
                    await self._send(await self._ready(synchronous_commit), sql, param)
        except TimeoutError:
            if self._current is not None:  # stuck: fail what is in flight, start afresh
                self._drop(self._current, TimeoutError("audit write timed out"))
            raise

    async def reset(self) -> None:
        if self._current is not None:
            self._drop(self._current, None)

    async def _ready(self, synchronous_commit: bool) -> _Connection:
        if self._current is not None:
            return self._current
        if self._connecting is None:
            task = asyncio.create_task(self._connect(synchronous_commit))
            self._connecting = task
            task.add_done_callback(self._connect_done)
        # Shielded: one caller giving up does not stop the connection the others wait for.
        return await asyncio.shield(self._connecting)

    def _connect_done(self, task: asyncio.Task[_Connection]) -> None:
        self._connecting = None
        if not task.cancelled() and task.exception() is not None:
            # Seen (and refused) by whoever waited; retrieved here too, so a failure nobody
            # was left waiting for is not reported again as an unretrieved task exception.
            logger.warning(
                "audit %s connection failed: %s", self.name, type(task.exception()).__name__
            )

    async def _connect(self, synchronous_commit: bool) -> _Connection:
        conn = await open_connection(synchronous_commit)
        loop = asyncio.get_running_loop()
        current = _Connection(conn=conn, loop=loop, fd=conn.pgconn.socket)
        current.pgconn.nonblocking = 1
        current.pgconn.enter_pipeline_mode()
        loop.add_reader(current.fd, self._on_readable, current)
        self._current = current
        return current

    async def _send(self, current: _Connection, sql: str, param: bytes) -> None:
        pgconn = current.pgconn
        try:
            name = current.prepared.get(sql)
            if name is None:  # prepared in the same pipeline: no extra round trip
                name = f"kordon_audit_{len(current.prepared)}".encode()
                pgconn.send_prepare(name, sql.encode())
                current.prepared[sql] = name
            pgconn.send_query_prepared(name, [param])
            pgconn.pipeline_sync()
            self._flush(current)
        except psycopg.OperationalError as exc:
            self._drop(current, exc)
            raise
        entry = _InFlight(current.loop.create_future())
        current.in_flight.append(entry)
        await entry.future

    def _flush(self, current: _Connection) -> None:
        if current.pgconn.flush() and not current.flushing:  # the socket is full: finish later
            current.flushing = True
            current.loop.add_writer(current.fd, self._on_writable, current)

    def _on_writable(self, current: _Connection) -> None:
        try:
            if current.pgconn.flush() == 0:
                current.flushing = False
                current.loop.remove_writer(current.fd)
        except psycopg.OperationalError as exc:
            self._drop(current, exc)

    def _on_readable(self, current: _Connection) -> None:
        pgconn = current.pgconn
        try:
            pgconn.consume_input()
            idle = 0
            while current.in_flight and not pgconn.is_busy():
                result = pgconn.get_result()
                if result is None:  # the end of one statement's results
                    idle += 1
                    if idle > 1:
                        break
                    continue
                idle = 0
                entry = current.in_flight[0]
                if result.status == _SYNC:
                    current.in_flight.popleft()
                    _settle(entry)
                elif result.status in _FAILED and not entry.error:
                    primary = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
                    entry.error = (primary or b"statement failed").decode(errors="replace")
        except psycopg.OperationalError as exc:
            self._drop(current, exc)

    def _drop(self, current: _Connection, exc: BaseException | None) -> None:
        """Forget a connection; everything in flight on it fails (it may not have committed)."""
        if self._current is current:
            self._current = None
        if not current.loop.is_closed():
            current.loop.remove_reader(current.fd)
            if current.flushing:
                current.loop.remove_writer(current.fd)
        error = exc or psycopg.OperationalError("audit connection closed")
        while current.in_flight:
            future = current.in_flight.popleft().future
            if not future.done():
                future.set_exception(error)
        current.pgconn.finish()


def _settle(entry: _InFlight) -> None:
    if entry.future.done():  # the caller stopped waiting; the statement finished regardless
        return
    if entry.error:
        entry.future.set_exception(WriteRefused(entry.error))
    else:
        entry.future.set_result(None)
