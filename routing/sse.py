"""Server-sent events as OpenAI streams them: `data: <json>` blocks separated by a blank line.

`SseParser` is incremental: feed it raw bytes as they arrive and it yields each complete event
as soon as its terminating blank line has been seen, so nothing waits for the whole answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

DONE = b"[DONE]"
MAX_EVENT_BYTES = 4 * 1024 * 1024  # one event larger than this is a broken upstream


class SseError(ValueError):
    """The upstream's event stream is not valid SSE."""


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: its joined `data:` lines (bytes) and its `event:` name, if any."""

    data: bytes
    event: str = ""

    @property
    def is_done(self) -> bool:
        return self.data.strip() == DONE

    def json(self) -> Any:
        return orjson.loads(self.data)


class SseParser:
    """Incremental SSE parser (CRLF, CR and LF line endings; comments ignored)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._held_cr = False

    def feed(self, chunk: bytes) -> Iterator[SseEvent]:
        if self._held_cr:
            chunk, self._held_cr = b"\r" + chunk, False
        if chunk.endswith(b"\r"):
            # A CRLF split across two reads must stay one line ending, not become two
            # (a blank line, which would end the event early): wait for the next byte.
            chunk, self._held_cr = chunk[:-1], True
        self._buffer += chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        while True:
            end = self._buffer.find(b"\n\n")
            if end < 0:
                if len(self._buffer) > MAX_EVENT_BYTES:
                    raise SseError("event too large")
                return
            block, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            event = _parse_block(block)
            if event is not None:
                yield event

    def close(self) -> Iterator[SseEvent]:
        """Flush a final event that was not followed by a blank line."""
        if self._held_cr:
            yield from self.feed(b"\n")
        block, self._buffer = self._buffer.strip(b"\n"), b""
        if block:
            event = _parse_block(block)
            if event is not None:
                yield event


def _parse_block(block: bytes) -> SseEvent | None:
    data: list[bytes] = []
    name = ""
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):
            continue
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            name = value.decode("utf-8", "replace")
    if not data:
        return None
    return SseEvent(data=b"\n".join(data), event=name)


def emit(payload: Any) -> bytes:
    """One `data:` event for a JSON-serialisable payload."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def emit_raw(data: bytes) -> bytes:
    return b"data: " + data + b"\n\n"


DONE_EVENT = b"data: [DONE]\n\n"
