"""The proxy's own ASGI path: /v1/ requests skip the console's middleware and thread hops.

Django's ASGI handler runs every `MiddlewareMixin` hook, the request signals and
`response.close()` through `sync_to_async` in a fresh thread per request. The console needs its
middleware (sessions, CSRF, messages, htmx); the proxy uses none of it, and on its hot path those
hops cost more than everything else the gateway does. So /v1/ goes to a handler with no
middleware that otherwise behaves like Django's: same request objects, URL resolution, views
(adrf), exception handling, streaming and client-disconnect cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.urls import set_script_prefix

from console.body_limit import read_bounded
from routing.sse import DONE_EVENT

PROXY_PREFIX = "/v1/"
# Set in the scope when the body was over KORDON_MAX_BODY_BYTES: the view answers 413 after
# authenticating (so the refusal is audited) without the body ever having been kept.
BODY_TOO_LARGE = "kordon.body_too_large"

Scope = dict[str, Any]


class ProxyHandler(ASGIHandler):
    """Django's ASGI handler for /v1/: no middleware, no per-request thread."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response_async)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        # No ThreadSensitiveContext: the proxy's database work runs on its own long-lived
        # thread (audit.recorder.run_db), so there is nothing to pin to a per-request thread.
        await self.handle(scope, receive, send)

    async def _read_body(self, scope: Scope, receive: Any) -> io.BytesIO:
        """The body, read with the proxy's limit (`console.body_limit`; Django's read keeps
        every byte). Over it, the request goes on with an empty body and the scope marked."""
        body = await read_bounded(scope, receive, settings.KORDON_MAX_BODY_BYTES)
        if body is None:
            scope[BODY_TOO_LARGE] = True
        return io.BytesIO(body or b"")

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body_file = await self._read_body(scope, receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return

        try:
            await self._respond(request, receive, send)
        finally:
            body_file.close()

    async def _respond(self, request: Any, receive: Any, send: Any) -> None:
        """Run the view and send its response in this task; a client disconnect cancels it.

        Django runs the view in a second task beside the disconnect listener: one more
        event-loop turn before the view starts, which under load is a loop's worth of other
        streams' work. Here the listener cancels this task instead, and with it any upstream
        call, as Django's does; a cancellation from anywhere else propagates as usual.
        """
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - always inside the server's task
        # finished: this request is done; answered: the client has the whole answer (uvicorn
        # then reports a disconnect, which must not stop what the stream does after its end).
        state = {"finished": False, "answered": False, "aborted": False}

        def on_listener_done(listener: asyncio.Task[None]) -> None:
            if listener.cancelled():
                return
            gone = isinstance(listener.exception(), RequestAborted)
            if gone and not state["finished"] and not state["answered"]:
                state["aborted"] = True
                task.cancel()

        listener = asyncio.create_task(self.listen_for_disconnect(receive))
        listener.add_done_callback(on_listener_done)
        response = None
        try:
            response = await self.run_get_response(request)
            if response.streaming:
                await self._send_stream(response, send, state)
            else:
                await self.send_response(response, send)
        except asyncio.CancelledError:
            if not state["aborted"] or task.cancelling() > 1:
                raise  # not (only) the client going away: the server is stopping
        finally:
            state["finished"] = True
            listener.cancel()
            if state["aborted"]:
                task.uncancel()
        if response is not None:
            response.close()

    async def _send_stream(self, response: Any, send: Any, state: dict[str, bool]) -> None:
        """Send an SSE relay's parts as they come; the part that ends with [DONE] ends the body.

        Django sends every part with more_body and then an empty closing message: one more
        write and one more wake-up of the client per answer, and the client would wait while
        the relay reads the backend's last bytes after [DONE]. The relay's iterator still runs
        to its end (it drains the backend and records the outcome); nothing after [DONE] is sent.
        """
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": _encoded_headers(response),
            }
        )
        async with contextlib.aclosing(aiter(response)) as parts:
            async for part in parts:
                if state["answered"]:
                    continue
                last = part.endswith(DONE_EVENT)
                state["answered"] = last
                await send({"type": "http.response.body", "body": part, "more_body": not last})
        if not state["answered"]:  # a stream that ended without [DONE] (an error event)
            await send({"type": "http.response.body"})


def _encoded_headers(response: Any) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI wants them (as Django's `send_response` encodes them)."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers


def _warm_up() -> None:
    """Build the detection engine now, not inside the first request; then freeze the heap.

    The engine's name lists and recognizers are a large, permanent object graph. Left to the
    cyclic garbage collector, every full collection walks all of it: measured 125 ms per full
    collection and 12 % of a worker's CPU under streaming load. `gc.freeze()` moves everything
    alive after start-up out of the collector's reach (it is never freed anyway): 37 ms per
    full collection and 6 % of CPU. Objects made by requests are collected as before.
    """
    from routing.detection import get_detector

    with contextlib.suppress(Exception):  # a failure here resurfaces (fail closed) on use
        get_detector()
    gc.collect()
    gc.freeze()


def with_proxy(application: Any) -> Any:
    """Wrap the project's ASGI app so /v1/ requests take the proxy handler."""
    proxy = ProxyHandler()
    threading.Thread(target=_warm_up, name="kordon-warmup", daemon=True).start()

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROXY_PREFIX):
            await proxy(scope, receive, send)
        else:
            await application(scope, receive, send)

    return app
