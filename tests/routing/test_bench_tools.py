"""`make bench`'s own parts: the load generator's pacing and the report's targets.

The pacing runs against the real fake upstream in a subprocess; the report is fed summaries in
the load generator's shape, so a paced run can never stand in for the closed-loop one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing.bench import run as bench_run
from routing.bench.load import parse_args, run_load

BENCH = Path(bench_run.__file__).resolve().parent


@pytest.fixture
def fake_upstream() -> Iterator[str]:
    port = bench_run.free_port()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "fake_upstream.py"), "--port", str(port), "--echo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        bench_run.wait_http(url + "/health", (200,), timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _measure(url: str, *extra: str) -> dict:
    argv = ["--url", url, "--corpus", str(BENCH / "chat.jsonl"), "-c", "1", "-d", "0.6"]
    args = parse_args([*argv, "--warmup", "0", *extra])
    return asyncio.run(run_load(args))


def test_gap_ms_paces_each_connection(fake_upstream: str) -> None:
    back_to_back = _measure(fake_upstream)
    paced = _measure(fake_upstream, "--gap-ms", "50")
    assert paced["errors"] == {} and paced["ok"] > 0
    # 50 ms after every answer: at most 13 answers fit in 0.6 s (the first needs no wait).
    assert paced["ok"] <= 13
    assert back_to_back["ok"] > 10 * paced["ok"]


def _summary(p50: float, stream: bool) -> dict:
    cls = {"latency_ms": {"p50": p50}, "first_content_ms": {"p50": p50} if stream else None}
    return {
        "rps": 100.0,
        "errors": {},
        "latency_ms": {"p50": p50},
        "first_content_ms": {"p50": p50} if stream else None,
        "events_per_response": 20.0 if stream else None,
        "per_class": dict.fromkeys(bench_run.CLASSES, cls),
    }


def _run(stream: bool, kordon: float, direct: float, paced: bool = False) -> dict:
    run = {
        "c": 1,
        "stream": stream,
        "direct": _summary(direct, stream),
        "kordon": _summary(kordon, stream),
    }
    if paced:
        run["paced_ms"] = 80.0
    return run


def _report(results: list[dict]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench_run.targets(results, {1: 190.0})
    return out.getvalue()


def test_paced_json_is_context_and_never_the_json_target() -> None:
    results = [
        _run(stream=False, kordon=2.0, direct=1.0),  # closed loop: +1.0 ms
        _run(stream=True, kordon=8.5, direct=6.0),  # +2.5 ms first content
        _run(stream=False, kordon=4.0, direct=1.0, paced=True),  # paced: +3.0 ms
    ]
    text = _report(results)
    # The targets read the closed-loop JSON (+1.0), not the paced run that came after it.
    assert "[PASS] c=1 added p50 small_clean <= 3.0 ms: 1.00 ms" in text
    assert "[FAIL] c=1 stream added 1st content within 1 ms of JSON (small_clean): +1.50 ms" in text
    # The paced comparison is printed apart, as context: 2.5 - 3.0.
    context = text.split("Context, not a target", 1)[1]
    assert "small_clean  -0.50 ms" in context
    assert "[PASS]" not in context and "[FAIL]" not in context


def test_no_paced_run_prints_no_context() -> None:
    results = [
        _run(stream=False, kordon=2.0, direct=1.0),
        _run(stream=True, kordon=7.0, direct=6.0),
    ]
    text = _report(results)
    assert "within 1 ms of JSON (small_clean): +0.00 ms" in text
    assert "Context" not in text


def test_connections_per_worker_counts_the_accepted_sockets_a_process_holds() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        accepted = [server.accept()[0] for _ in clients]
        try:
            # This process holds both ends; only the accepted ends are on the server's port.
            assert bench_run.connections_per_worker([os.getpid()], port) == [3]
            accepted.pop().close()
            assert bench_run.connections_per_worker([os.getpid()], port) == [2]
        finally:
            for s in clients + accepted:
                s.close()


DEPLOYMENT = {
    "DATABASE_URL": "postgres://kordon:secret@db.example.internal:5432/kordon",
    "REDIS_URL": "redis://cache.example.internal:6379/0",
    "KORDON_VAR_DIR": "/srv/kordon/var",
    "SECRET_KEY": "deployment-secret",
}


def test_the_bench_never_runs_on_the_deployment_of_the_shell_it_starts_in() -> None:
    env = bench_run.bench_environment(DEPLOYMENT, postgres_up=True, redis_up=True)
    assert env["DATABASE_URL"] == bench_run.PG_DEFAULT
    assert env["REDIS_URL"] == bench_run.REDIS_DEFAULT
    assert env["KORDON_VAR_DIR"] == str(bench_run.OUT / "var")
    assert env["SECRET_KEY"] == "deployment-secret"  # the rest of the shell is kept


def test_the_bench_uses_its_own_services_or_sqlite_and_local_limits() -> None:
    own = {
        **DEPLOYMENT,
        "KORDON_BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1:5433/bench",
        "KORDON_BENCH_REDIS_URL": "redis://127.0.0.1:6380/1",
    }
    env = bench_run.bench_environment(own, postgres_up=False, redis_up=False)
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5433/bench"
    assert env["REDIS_URL"] == "redis://127.0.0.1:6380/1"
    env = bench_run.bench_environment(DEPLOYMENT, postgres_up=False, redis_up=False)
    assert "DATABASE_URL" not in env  # SQLite in the bench's own folder
    assert "REDIS_URL" not in env


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL"])
def test_a_bench_service_that_is_the_deployments_own_is_refused_without_its_url(
    name: str,
) -> None:
    shared = {**DEPLOYMENT, f"KORDON_BENCH_{name}": DEPLOYMENT[name] + "/"}
    with pytest.raises(SystemExit) as refused:
        bench_run.bench_environment(shared, postgres_up=True, redis_up=True)
    message = str(refused.value)
    assert f"KORDON_BENCH_{name}" in message and "of its own" in message
    assert "example.internal" not in message and "secret" not in message
