"""The proxy's async Redis client: per loop, and never waits forever on a silent server."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import redis

from console import redis_async


def test_a_silent_server_fails_the_call_instead_of_holding_it(monkeypatch):
    monkeypatch.setattr(redis_async, "TIMEOUT_SECONDS", 0.3)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"

        async def read():
            return await redis_async.client(url).get("anything")

        started = time.monotonic()
        with pytest.raises(redis.exceptions.TimeoutError):
            asyncio.run(read())
        assert time.monotonic() - started < 3


def test_each_loop_gets_its_own_client():
    url = "redis://127.0.0.1:6379/0"

    async def same_loop_twice():
        return redis_async.client(url), redis_async.client(url)

    a, b = asyncio.run(same_loop_twice())
    c, _ = asyncio.run(same_loop_twice())
    assert a is b
    assert c is not a
