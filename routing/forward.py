"""Calls to backends: one pooled httpx transport per backend, plus the built-in echo backend.

The transport is aiohttp's (`httpx_aiohttp`): httpx's own pool degrades under concurrency,
streams especially (notes/proxy-facts.md). Requests go straight to the transport through
httpx's transport API (`handle_async_request`), not through an `httpx.AsyncClient`: the client
layer adds nothing the proxy wants (redirects are never followed, auth is one header) and one
thing it must not have, a cookie jar shared by every team's requests to the backend; it also
cost about a tenth of a streaming worker's CPU. Each backend has connect, first-byte and
total timeouts and an optional per-process concurrency cap. A failure that happens before any
answer byte is released (`UpstreamUnavailable`) lets the proxy try the next candidate; anything
else is final.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson
from httpx_aiohttp import AiohttpTransport

from routing.backend_tls import backend_ssl_context
from routing.policy.document import Backend
from routing.sse import SseEvent, SseParser

Endpoint = Literal["chat", "embeddings"]
# Relative to the backend's base URL (which keeps its own path, such as /v1).
PATHS: dict[str, str] = {"chat": "chat/completions", "embeddings": "embeddings"}
ECHO_URL = "echo://"
USER_AGENT = "kordon"
DEFAULT_CAP = 1000  # connections per backend per process when the policy sets no cap


class UpstreamUnavailable(Exception):
    """Connect error, timeout, 5xx, 429 or a busy backend: try the next candidate."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class UpstreamRejected(Exception):
    """The backend refused the request itself (4xx other than 429): final, not retried."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class JsonAnswer:
    payload: dict[str, Any]
    upstream_ms: float


@dataclass(slots=True)
class StreamAnswer:
    """An open upstream stream whose status was 200: iterate `events()`, then `aclose()`."""

    chunks: AsyncIterator[bytes]
    started: float
    deadline: float
    _close: Any = None
    _release: Any = None
    first_byte_at: float | None = None
    parser: SseParser = field(default_factory=SseParser)

    async def batches(self) -> AsyncIterator[list[SseEvent]]:
        """The events that each upstream read completed, as soon as it completed them.

        The total deadline is checked as each read completes: one clock read, where a timer
        armed and cancelled around every read cost a quarter of the relay's own time. Every
        read is bounded by the backend's first-byte (read) timeout, so a backend that goes
        silent is still cut.
        """
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await anext(self.chunks)
            except StopAsyncIteration:
                break
            if loop.time() > self.deadline:
                raise TimeoutError("the backend's total timeout passed mid-stream")
            if self.first_byte_at is None:
                self.first_byte_at = time.perf_counter()
            events = list(self.parser.feed(chunk))
            if events:
                yield events
        tail = list(self.parser.close())
        if tail:
            yield tail

    async def drain(self, seconds: float = 0.5) -> None:
        """Read what follows [DONE] (the end of the HTTP body) so the connection can be reused.

        A response that is closed unread costs a new TCP connection on the next request.
        """
        with contextlib.suppress(Exception):
            async with asyncio.timeout(seconds):
                async for _ in self.chunks:
                    pass

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            if self._close is not None:
                await self._close()
        finally:
            if release is not None:
                release()


@dataclass(slots=True)
class _Pool:
    transport: AiohttpTransport
    gate: asyncio.Semaphore
    api_key: str | None
    # Parsed and built once: each endpoint's absolute URL, the timeouts in the form the
    # transport reads them from each request's extensions, and the headers.
    urls: dict[str, httpx.URL]
    timeout: dict[str, float | None]
    json_headers: dict[str, str]
    stream_headers: dict[str, str]

    def request(self, endpoint: Endpoint, body: dict[str, Any], *, stream: bool) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.urls[endpoint],
            content=orjson.dumps(body),
            headers=self.stream_headers if stream else self.json_headers,
            extensions={"timeout": self.timeout},
        )


_pools: dict[tuple[Any, ...], _Pool] = {}


def is_echo(backend: Backend) -> bool:
    return backend.base_url == ECHO_URL


def _pool(backend: Backend) -> _Pool:
    # Clients belong to one event loop; a process normally has exactly one.
    loop = asyncio.get_running_loop()
    key = (
        id(loop),
        backend.name,
        backend.base_url,
        backend.api_key_env,
        backend.connect_timeout,
        backend.first_byte_timeout,
        backend.max_concurrency,
    )
    pool = _pools.get(key)
    if pool is None:
        cap = backend.max_concurrency or DEFAULT_CAP
        timeout = httpx.Timeout(
            connect=backend.connect_timeout,
            read=backend.first_byte_timeout,
            write=backend.connect_timeout,
            pool=backend.connect_timeout,
        )
        transport = AiohttpTransport(
            verify=backend_ssl_context(),
            limits=httpx.Limits(max_connections=cap, max_keepalive_connections=min(cap, 256)),
            trust_env=False,
        )
        api_key = os.environ.get(backend.api_key_env) if backend.api_key_env else None
        base = httpx.URL(backend.base_url.rstrip("/") + "/")
        urls = {endpoint: base.join(path) for endpoint, path in PATHS.items()}
        pool = _Pool(
            transport=transport,
            gate=asyncio.Semaphore(cap),
            api_key=api_key,
            urls=urls,
            timeout=timeout.as_dict(),
            json_headers=_backend_headers(api_key, stream=False),
            stream_headers=_backend_headers(api_key, stream=True),
        )
        _pools[key] = pool
    return pool


async def _acquire(pool: _Pool, backend: Backend) -> None:
    try:
        async with asyncio.timeout(backend.connect_timeout):
            await pool.gate.acquire()
    except TimeoutError:
        raise UpstreamUnavailable("busy") from None


def _backend_headers(api_key: str | None, stream: bool) -> dict[str, str]:
    """What every request to a backend carries; built once per pool, never mutated."""
    # identity: the stream relay passes the backend's bytes on as they come, and aiohttp would
    # otherwise offer gzip (which a backend or a CDN before it may take, and then buffer).
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",
    }
    if stream:
        headers["accept"] = "text/event-stream"
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    return headers


def _check_key(pool: _Pool, backend: Backend) -> None:
    if backend.api_key_env and not pool.api_key:
        # The key's variable is unset: the backend would refuse us; try the next one.
        raise UpstreamUnavailable("api key not configured")


async def _read_all(response: httpx.Response) -> bytes:
    try:
        return await response.aread()
    finally:
        await response.aclose()  # also on a failed read: the connection is handed back at once


def _check_status(response: httpx.Response, body: bytes) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 429 or status >= 500:
        raise UpstreamUnavailable(f"status {status}", status)
    message = "The backend rejected the request."
    try:
        detail = orjson.loads(body).get("error", {}).get("message")
        if isinstance(detail, str):
            message = f"The backend rejected the request: {detail[:300]}"
    except (orjson.JSONDecodeError, AttributeError):
        pass
    raise UpstreamRejected(status, message)


async def send_json(backend: Backend, endpoint: Endpoint, body: dict[str, Any]) -> JsonAnswer:
    """One non-streamed call. Raises UpstreamUnavailable / UpstreamRejected."""
    started = time.perf_counter()
    if is_echo(backend):
        payload = echo_embeddings(body) if endpoint == "embeddings" else echo_chat(body)
        return JsonAnswer(payload, (time.perf_counter() - started) * 1000)
    pool = _pool(backend)
    _check_key(pool, backend)
    await _acquire(pool, backend)
    try:
        async with asyncio.timeout(backend.total_timeout):
            response = await pool.transport.handle_async_request(
                pool.request(endpoint, body, stream=False)
            )
            raw = await _read_all(response)
    except (httpx.TransportError, TimeoutError) as exc:
        raise UpstreamUnavailable(type(exc).__name__) from None
    finally:
        pool.gate.release()
    _check_status(response, raw)
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UpstreamUnavailable("invalid JSON from backend") from None
    if not isinstance(payload, dict):
        raise UpstreamUnavailable("invalid JSON from backend")
    return JsonAnswer(payload, (time.perf_counter() - started) * 1000)


async def open_stream(backend: Backend, body: dict[str, Any]) -> StreamAnswer:
    """Start a streamed chat call and wait for a 200 status (before any byte goes to the client)."""
    started = time.perf_counter()
    deadline = asyncio.get_running_loop().time() + backend.total_timeout
    if is_echo(backend):
        return StreamAnswer(chunks=_echo_chunks(body), started=started, deadline=deadline)
    pool = _pool(backend)
    _check_key(pool, backend)
    await _acquire(pool, backend)
    request = pool.request("chat", body, stream=True)
    try:
        async with asyncio.timeout_at(deadline):
            response = await pool.transport.handle_async_request(request)
            if response.status_code != 200:
                raw = await _read_all(response)
                _check_status(response, raw)
    except (httpx.TransportError, TimeoutError) as exc:
        pool.gate.release()
        raise UpstreamUnavailable(type(exc).__name__) from None
    except BaseException:
        pool.gate.release()
        raise
    return StreamAnswer(
        chunks=aiter(response.aiter_raw()),
        started=started,
        deadline=deadline,
        _close=response.aclose,
        _release=pool.gate.release,
    )


async def close_all() -> None:
    for pool in list(_pools.values()):
        await pool.transport.aclose()
    _pools.clear()


# -- the built-in echo backend: answers with exactly the text it received ----------------------


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(
                    p.get("text", "")
                    for p in content
                    if isinstance(p, dict) and p.get("type") == "text"
                )
    return ""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _echo_usage(body: dict[str, Any], completion: str) -> dict[str, int]:
    prompt = sum(
        _tokens(m["content"])
        for m in body.get("messages") or []
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    )
    done = _tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def _echo_id(text: str) -> str:
    return "chatcmpl-echo" + hashlib.sha256(text.encode()).hexdigest()[:16]


def echo_chat(body: dict[str, Any]) -> dict[str, Any]:
    text = _last_user_text(body)
    return {
        "id": _echo_id(text),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "echo")),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": _echo_usage(body, text),
    }


def echo_embeddings(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("input")
    items = (
        value if isinstance(value, list) and not all(isinstance(v, int) for v in value) else [value]
    )
    data = []
    for i, item in enumerate(items):
        digest = hashlib.sha256(orjson.dumps(item)).digest()
        vector = [x / 2**31 for x in struct.unpack(">8i", digest)]
        data.append({"object": "embedding", "index": i, "embedding": vector})
    tokens = sum(_tokens(v) if isinstance(v, str) else len(v) for v in items if v)
    return {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "echo")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _echo_pieces(text: str, size: int = 16) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


async def _echo_chunks(body: dict[str, Any]) -> AsyncIterator[bytes]:
    text = _last_user_text(body)
    base = {
        "id": _echo_id(text),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": str(body.get("model", "echo")),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in _echo_pieces(text):
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        usage = {**base, "choices": [], "usage": _echo_usage(body, text)}
        yield b"data: " + orjson.dumps(usage) + b"\n\n"
    yield b"data: [DONE]\n\n"
