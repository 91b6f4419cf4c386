"""Detection failing refuses the request: nothing is forwarded, the audit record says why.

A live server cannot be made to fail its detector from outside, so this runs the proxy's ASGI
application in this process (the official async client through httpx's ASGI transport) against
the real recording upstreams, with the detector broken on purpose. Both detection paths are
covered: a short body scanned on the event loop and a long one scanned in a worker thread.
"""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
from django.core import signals
from django.db import close_old_connections, connection

from audit import recorder
from routing import proxy
from routing.detection import engine
from tests.routing.conftest import issue_key, proxy_policy, publish


@pytest.fixture
def broken_detector(monkeypatch):
    engine.get_detector()  # built first, so the short body takes the event-loop path

    def detect(self, *args, **kwargs):
        raise RuntimeError("recognizer crashed")

    monkeypatch.setattr(engine.Detector, "detect", detect)


def _close_connection() -> None:
    connection.close()  # resolved in the calling thread: that thread's own connection


async def _call(secret: str, text: str) -> openai.APIStatusError:
    from console.asgi import application

    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kordon") as http:
            client = openai.AsyncOpenAI(
                base_url="http://kordon/v1", api_key=secret, max_retries=0, http_client=http
            )
            with pytest.raises(openai.APIStatusError) as caught:
                await client.chat.completions.create(
                    model="assistant", messages=[{"role": "user", "content": text}]
                )
            return caught.value
    finally:
        await recorder.reset_connections()  # this event loop's connections
        for background in (False, True):  # and the database threads' (key loads)
            await recorder.run_db(_close_connection, background=background)


@pytest.mark.parametrize("size", ["short", "long"])
def test_a_failing_detector_refuses_and_forwards_nothing(
    transactional_db, upstreams, broken_detector, size
):
    from audit.models import AuditRecord
    from keys.authn import cache as key_cache
    from routing.policy import store

    for server in vars(upstreams).values():
        server.reset()
    publish(proxy_policy(upstreams))
    store.forget()
    key_cache.clear()
    _, secret = issue_key()
    text = "Payment for Aliya Nurlanovna, IIN 900101300123. " * (
        1 if size == "short" else 2 * proxy.INLINE_SCAN_MAX_BYTES // 40
    )

    # Django's end-of-request signal checks this thread's test connections, which a server's
    # event loop thread never has; in-process it would touch them from async code.
    connection.close()
    signals.request_finished.disconnect(close_old_connections)
    try:
        error = asyncio.run(_call(secret, text))
    finally:
        signals.request_finished.connect(close_old_connections)

    assert error.status_code == 503
    assert error.body["code"] == "no_compliant_backend"
    assert "could not be scanned" in error.body["message"]
    assert not any(server.bodies() for server in vars(upstreams).values())
    record = AuditRecord.objects.get()
    assert (record.status_code, record.error_code) == (503, "no_compliant_backend")
    assert error.response.headers["X-Request-Id"] == str(record.id)
    assert record.entities == {}  # nothing detected, nothing claimed
