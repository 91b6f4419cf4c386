"""Request bodies read with a ceiling, for the proxy and the console alike.

Django's ASGI handler keeps every byte a client sends (spooled to disk past
FILE_UPLOAD_MAX_MEMORY_SIZE) before any size check can run, so one client could fill the disk
or hold a worker reading gigabytes. Here a declared Content-Length over the limit is not read
at all, and a chunked body stops being read the moment it passes the limit; the server
discards whatever the client still sends.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.exceptions import RequestAborted

Scope = dict[str, Any]


def declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # malformed: left for the view to refuse
    return 0


async def read_bounded(scope: Scope, receive: Any, limit: int) -> bytes | None:
    """The whole body, or None once it is known to be over `limit` bytes."""
    if declared_length(scope) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestAborted()
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def with_body_limit(application: Any, limit: int) -> Any:
    """Wrap an ASGI app: bodies over `limit` get a 413 before the app sees the request."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await application(scope, receive, send)
            return
        try:
            body = await read_bounded(scope, receive, limit)
        except RequestAborted:
            return
        if body is None:
            await _too_large(send, limit)
            return
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Any:  # the body once, then the connection's own messages
            return pending.pop() if pending else await receive()

        await application(scope, replay, send)

    return app


async def _too_large(send: Any, limit: int) -> None:
    payload = orjson.dumps({"detail": f"Request body too large (limit {limit} bytes)."})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
