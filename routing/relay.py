"""Relaying a backend's answer to the client: usage and cost, restored JSON, restored SSE.

Streaming passes each upstream event on as it arrives; the only text held back is a tail that
could still become a placeholder (`StreamRestorer`). A stream that breaks mid-way ends with an
OpenAI-shaped error event; the caller learns how it ended from `StreamOutcome`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from routing.forward import StreamAnswer
from routing.privacy import MaskingError, OutputScanner, StreamRestorer, Vault
from routing.sse import DONE_EVENT, SseError, emit

logger = logging.getLogger("kordon.proxy")

STREAM_ERROR = {
    "error": {
        "message": "The backend failed while streaming the answer.",
        "type": "api_error",
        "code": "upstream_error",
    }
}


@dataclass(slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    reported: bool  # False: estimated from text length (the backend sent no usage)


def usage_of(payload: dict[str, Any], prompt_estimate: int, completion_chars: int) -> Usage:
    usage = payload.get("usage")
    if isinstance(usage, dict):
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens", 0) or 0
        if isinstance(prompt, int) and isinstance(completion, int):
            return Usage(max(prompt, 0), max(completion, 0), True)
    return Usage(prompt_estimate, max(0, completion_chars // 4), False)


def completion_chars(payload: dict[str, Any]) -> int:
    total = 0
    for choice in payload.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            total += len(message["content"])
    return total


@dataclass(slots=True)
class StreamOutcome:
    """How a relayed stream ended (read by the proxy when the generator finishes)."""

    status_code: int = 200
    error_code: str = ""
    events: int = 0
    chars: int = 0
    usage: dict[str, Any] | None = None
    upstream_ms: float | None = None
    done: bool = False
    finished: bool = False  # some choice reported a finish_reason
    keys: dict[int, set[tuple[Any, ...]]] = field(default_factory=dict)


async def _release(
    key: tuple[Any, ...], text: str, restorer: StreamRestorer, scanner: OutputScanner | None
) -> str:
    released = restorer.feed(key, text)
    if scanner is not None and key[1] == "content":
        # Output scanning runs the detector (CPU): off the event loop.
        released = await asyncio.to_thread(scanner.feed, key, released)
    return released


def _choices(chunk: dict[str, Any]) -> list[Any]:
    """The chunk's choices; a shape no OpenAI-compatible backend sends ends the stream."""
    choices = chunk.get("choices")
    if choices is None:
        return []
    if not isinstance(choices, list):
        raise SseError("choices is not a list")
    return choices


def _index(holder: dict[str, Any]) -> int:
    index = holder.get("index", 0)
    if not isinstance(index, int) or isinstance(index, bool):
        raise SseError("index is not an integer")
    return index


async def _restore_chunk(
    chunk: dict[str, Any],
    restorer: StreamRestorer,
    scanner: OutputScanner | None,
    out: StreamOutcome,
) -> None:
    """Restore placeholders in one chunk's deltas, in place; flush a choice at its finish."""
    for choice in _choices(chunk):
        if not isinstance(choice, dict):
            continue
        index = _index(choice)
        keys = out.keys.setdefault(index, set())
        delta = choice.get("delta")
        if isinstance(delta, dict):
            for name in ("content", "refusal"):
                if isinstance(delta.get(name), str):
                    out.chars += len(delta[name])
                    keys.add((index, name))
                    delta[name] = await _release((index, name), delta[name], restorer, scanner)
            calls = delta.get("tool_calls") or []
            for call in calls if isinstance(calls, list) else ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    key = (index, "tool", _index(call))
                    keys.add(key)
                    function["arguments"] = restorer.feed(key, function["arguments"])
            legacy = delta.get("function_call")  # pre-tools clients still stream this shape
            if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
                key = (index, "function_call")
                keys.add(key)
                legacy["arguments"] = restorer.feed(key, legacy["arguments"])
        if choice.get("finish_reason") is not None:
            out.finished = True
            await _flush_choice(choice, index, restorer, scanner, out)


async def _flush_choice(
    choice: dict[str, Any],
    index: int,
    restorer: StreamRestorer,
    scanner: OutputScanner | None,
    out: StreamOutcome,
) -> None:
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        delta = choice["delta"] = {}
    for key in sorted(out.keys.pop(index, set()), key=repr):
        held = restorer.flush(key)
        if scanner is not None and key[1] == "content":
            held = await asyncio.to_thread(scanner.feed, key, held)
            held += await asyncio.to_thread(scanner.flush, key)
        if not held:
            continue
        if key[1] == "tool":
            delta.setdefault("tool_calls", []).append(
                {"index": key[2], "function": {"arguments": held}}
            )
        elif key[1] == "function_call":
            legacy = delta.setdefault("function_call", {})
            legacy["arguments"] = (legacy.get("arguments") or "") + held
        else:
            delta[key[1]] = (delta.get(key[1]) or "") + held


def _count_chars(chunk: dict[str, Any], out: StreamOutcome) -> None:
    for choice in _choices(chunk):
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            out.chars += len(delta["content"])
        if choice.get("finish_reason") is not None:
            out.finished = True


async def relay_stream(
    answer: StreamAnswer, vault: Vault, out: StreamOutcome, scanner: OutputScanner | None = None
) -> AsyncIterator[bytes]:
    """Yield the client's SSE bytes for an open upstream stream, restoring placeholders."""
    restorer = StreamRestorer(vault)
    restoring = bool(vault) or scanner is not None
    parts: list[bytes] = []
    try:
        # One write per upstream read: events that arrived together leave together, each one
        # still its own SSE event, none held back. The read that brings [DONE] also brings the
        # last events: they leave with it, in the answer's last write.
        async for batch in answer.batches():
            for event in batch:
                if event.is_done:
                    out.done = True
                    break
                chunk = event.json()
                if not isinstance(chunk, dict):
                    raise SseError("event is not a JSON object")
                if isinstance(chunk.get("usage"), dict):
                    out.usage = chunk["usage"]
                if "error" in chunk and not chunk.get("choices"):
                    out.status_code, out.error_code = 502, "upstream_error"
                    yield b"".join([*parts, emit(STREAM_ERROR)])
                    return
                out.events += 1
                if restoring:
                    await _restore_chunk(chunk, restorer, scanner, out)
                    parts.append(emit(chunk))
                else:
                    # Nothing was replaced by a placeholder: pass the upstream's bytes on as
                    # they are.
                    _count_chars(chunk, out)
                    parts.append(b"data: " + event.data + b"\n\n")
            if out.done:
                break
            if parts:
                yield b"".join(parts)
                parts = []
        if not out.done and not out.finished:
            raise SseError("the stream ended without [DONE] or a finish_reason")
        if restoring and out.keys:
            held: dict[str, list[Any]] = {
                "choices": []
            }  # text still held when the stream ended without a finish
            for index in list(out.keys):
                choice: dict[str, Any] = {"index": index, "delta": {}, "finish_reason": None}
                await _flush_choice(choice, index, restorer, scanner, out)
                if choice["delta"]:
                    held["choices"].append(choice)
            if held["choices"]:
                parts.append(emit(held))
        yield b"".join([*parts, DONE_EVENT])
        if out.done:
            await answer.drain()  # after the client has its [DONE]: keeps the connection alive
    except (
        httpx.TransportError,
        TimeoutError,
        SseError,
        orjson.JSONDecodeError,
        MaskingError,
    ) as exc:
        logger.warning("stream from backend broke: %s", type(exc).__name__)
        out.status_code, out.error_code = 502, "upstream_error"
        yield emit(STREAM_ERROR)
    except Exception as exc:
        logger.error("stream relay failed: %s", type(exc).__name__)
        out.status_code, out.error_code = 502, "upstream_error"
        yield emit(STREAM_ERROR)
