"""Real parts for the proxy tests: a recording upstream HTTP server and a live Kordon process.

`RecordingUpstream` is an OpenAI-compatible server on 127.0.0.1 (a thread) that records every
request body it receives and can fail on demand: 500, 429, hang, die mid-stream, stream slowly
(to see a client's disconnect reach it). `LiveServer` runs Kordon under uvicorn in a subprocess
against the test database this process created.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if p.get("type") == "text")
            return content or ""
    return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.server.owner.set_cookie:
            self.send_header("Set-Cookie", self.server.owner.set_cookie)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the proxy gave up on us (timeout, cancellation)

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": []})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        up = self.server.owner
        body = json.loads(raw)
        with up.lock:
            up.requests.append(
                {
                    "path": self.path,
                    "body": body,
                    "auth": self.headers.get("Authorization"),
                    "cookie": self.headers.get("Cookie"),
                    "user_agent": self.headers.get("User-Agent"),
                    "accept_encoding": self.headers.get("Accept-Encoding"),
                }
            )
            mode = up.mode
        if mode == "raw":  # whatever the test set, byte for byte (a broken or hostile backend)
            status, content_type, payload = up.raw
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return None
        if mode == "500":
            return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
        if mode == "429":
            return self._json(429, {"error": {"message": "slow down", "type": "rate_limit"}})
        if mode == "400":
            return self._json(400, {"error": {"message": "bad temperature", "type": "invalid"}})
        if mode == "hang":
            time.sleep(up.hang_seconds)
            return self._json(500, {"error": {"message": "too late"}})
        if self.path.endswith("/embeddings"):
            items = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                for i in range(len(items))
            ]
            return self._json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": 3, "total_tokens": 3},
                },
            )
        text = up.reply if up.reply is not None else last_user_text(body)
        usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        if not body.get("stream"):
            return self._json(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 1,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
        self._stream(body, text, usage, mode)

    def _stream(self, body: dict[str, Any], text: str, usage: dict[str, int], mode: str) -> None:
        up = self.server.owner
        # mode "gzip": like a CDN in front of a cloud API, compress whenever the caller accepts it.
        gzip = mode == "gzip" and "gzip" in (self.headers.get("Accept-Encoding") or "")
        compressor = zlib.compressobj(wbits=31)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        if gzip:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()

        def frame(data: bytes) -> None:  # one HTTP/1.1 chunk
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def write(data: bytes) -> None:
            frame(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH) if gzip else data)

        def chunk(payload: Any) -> None:
            write(
                b"data: "
                + (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
                + b"\n\n"
            )

        def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": body["model"],
                "choices": [{"index": 0, "delta": d, "finish_reason": finish}],
            }

        size = max(1, len(text) // up.stream_pieces + 1)
        pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        try:
            chunk(delta({"role": "assistant", "content": ""}))
            for n, piece in enumerate(pieces):
                if mode == "die" and n == 2:
                    # Abrupt end: no terminating chunk, the socket just closes.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                chunk(delta({"content": piece}))
                if mode == "die":
                    time.sleep(0.1)  # decoding time: the bytes reach the proxy before the death
                if mode == "slow":
                    time.sleep(up.chunk_delay)
            chunk(delta({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                chunk(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": 1,
                        "model": body["model"],
                        "choices": [],
                        "usage": usage,
                    }
                )
            chunk(b"[DONE]")
            if mode == "linger":  # a backend slow to end its body after [DONE]
                time.sleep(up.hang_seconds)
            if gzip:
                frame(compressor.flush())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with up.lock:
                up.disconnects += 1
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: RecordingUpstream


class RecordingUpstream:
    """An OpenAI-compatible upstream on 127.0.0.1 that records what reached it."""

    def __init__(self, *, tls: tuple[str, str] | None = None) -> None:
        """`tls`: (certificate chain, key) PEM files to serve https:// with."""
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.reset()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.mode = "ok"
            self.reply: str | None = None
            self.hang_seconds = 5.0
            self.chunk_delay = 0.2
            self.stream_pieces = 8
            self.disconnects = 0
            self.set_cookie = ""  # sent with every JSON answer when set
            self.raw: tuple[int, str, bytes] = (200, "application/json", b"{}")  # mode "raw"

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["body"] for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LiveServer:
    """Kordon under uvicorn in a subprocess, sharing this process's test database."""

    def __init__(self, db_name: str, *, workers: int = 1, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.routing.server_settings",
            "KORDON_TEST_DB_NAME": db_name,
            "PYTHONPATH": str(ROOT),
            "KORDON_SERVE_STATIC": "0",
            **(extra_env or {}),
        }
        self.log = open(  # noqa: SIM115 - closed in stop()
            ROOT / "var" / f"test-server-{self.port}.log", "w"
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "console.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"live server exited: {self.output()[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/models", timeout=1).status_code == 401:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("live server did not start")

    def output(self) -> str:
        self.log.flush()
        return (ROOT / "var" / f"test-server-{self.port}.log").read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
        (ROOT / "var" / f"test-server-{self.port}.log").unlink(missing_ok=True)
