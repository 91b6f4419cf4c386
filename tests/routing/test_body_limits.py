"""Console and management bodies over KORDON_CONSOLE_MAX_BODY_BYTES: 413 before they are read.

Django's own ASGI read keeps every byte a client sends; a server that did would wait here for
a body the client never finishes, and the socket read would time out. (The proxy's own limit,
answered in the contract's shape and audited, is in test_proxy_errors.py.)
"""

from __future__ import annotations

import http.client
import json
import socket

import httpx
from django.conf import settings

LIMIT = settings.KORDON_CONSOLE_MAX_BODY_BYTES


def _send(url: str, path: str, framing: str, body_parts: list[bytes]) -> tuple[int, bytes]:
    target = httpx.URL(url)
    with socket.create_connection((target.host, target.port), timeout=10) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n".encode()
        )
        for part in body_parts:
            conn.sendall(part)
        answer = http.client.HTTPResponse(conn)
        answer.begin()
        return answer.status, answer.read()


def test_a_declared_oversize_console_body_is_413_unread(live_server_process):
    status, body = _send(
        live_server_process.url, "/login/", f"Content-Length: {LIMIT + 1}", [b"username="]
    )
    assert status == 413
    assert "too large" in json.loads(body)["detail"]


def test_a_chunked_console_body_is_cut_off_at_the_limit(live_server_process):
    chunk = b"a" * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    parts = [framed] * (LIMIT // len(chunk) + 2)
    status, _ = _send(live_server_process.url, "/api/keys/", "Transfer-Encoding: chunked", parts)
    assert status == 413


def test_bodies_within_the_limit_reach_the_console(live_server_process):
    # The login form answers as usual (a bad CSRF token is the view's own 403, not a 413).
    response = httpx.post(
        live_server_process.url + "/login/", data={"username": "x", "password": "y" * 200_000}
    )
    assert response.status_code == 403
    chunked = httpx.post(
        live_server_process.url + "/login/",
        content=iter([b"username=x&", b"password=" + b"y" * 300_000]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 403
