"""`make bench`: Kordon against the same fake upstream called directly, in one run.

Starts the fake upstream (echo mode; streams of 16 chunks 5 ms apart), Kordon under uvicorn
with several workers (PostgreSQL and Redis when reachable, else SQLite and in-process limits),
then runs the closed-loop load generator at concurrency 1, 8 and 32, JSON and streaming, over
the corpus's four classes (clean and sensitive prompts of about 200 B and 2 KB), alternating
direct and Kordon runs so both see the same machine. Prints requests/s, added p50/p95/p99,
added time to first content, events per answer, RSS per worker, ratios and the targets.
"""

# ruff: noqa: S603 - a developer tool starting our own scripts with fixed argument lists
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "var" / "bench"
CLASSES = ("small_clean", "small_pii", "large_clean", "large_pii")
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/kordon_bench"
REDIS_DEFAULT = "redis://127.0.0.1:6379/3"
WARMUP_SECONDS = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_http(url: str, expect: tuple[int, ...], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code in expect:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


# A deployment's own places. The bench publishes a policy, makes a team and a key and writes
# audit records: in a deployment's database that would put a bench policy in front of its running
# servers (they load a new version within 2 s) and fake records into its trail. So the bench
# never inherits them; it has its own (KORDON_BENCH_DATABASE_URL, KORDON_BENCH_REDIS_URL).
DEPLOYMENT_VARIABLES = ("DATABASE_URL", "REDIS_URL", "KORDON_VAR_DIR")


def bench_environment(
    environ: dict[str, str], *, postgres_up: bool, redis_up: bool
) -> dict[str, str]:
    """The environment Kordon runs under in the bench: the caller's, less its deployment."""
    env = {name: value for name, value in environ.items() if name not in DEPLOYMENT_VARIABLES}
    env.setdefault("SECRET_KEY", "bench-not-secret")
    env.setdefault("KORDON_KEY_PEPPER", "bench-pepper")
    env.setdefault("KORDON_HASH_KEY", "bench-hash-key")
    env["CLOUD_API_KEY"] = "bench-upstream-key"
    env["KORDON_SERVE_STATIC"] = "0"
    env["LOG_LEVEL"] = "WARNING"
    env["KORDON_VAR_DIR"] = str(OUT / "var")  # SQLite and local-mode stamps: the bench's own
    if url := _bench_url(environ, "DATABASE_URL", PG_DEFAULT if postgres_up else ""):
        env["DATABASE_URL"] = url
    if url := _bench_url(environ, "REDIS_URL", REDIS_DEFAULT if redis_up else ""):
        env["REDIS_URL"] = url
    return env


def _bench_url(environ: dict[str, str], name: str, default: str) -> str:
    """KORDON_BENCH_<name>, else the default: never the same place as this shell's <name>."""
    bench_name = f"KORDON_BENCH_{name}"
    url = environ.get(bench_name) or default
    if url and url.rstrip("/") == environ.get(name, "").rstrip("/"):
        # No URL in the message: it may hold a password.
        raise SystemExit(
            f"make bench: {bench_name} (or its default) is this shell's {name}. The bench "
            f"publishes its own policy and writes audit records: set {bench_name} to one of "
            "its own."
        )
    return url


def environment() -> tuple[dict[str, str], str]:
    env = bench_environment(dict(os.environ), postgres_up=reachable(5432), redis_up=reachable(6379))
    if env.get("DATABASE_URL"):
        _create_database(env["DATABASE_URL"])
    db = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    return env, f"{db} + {'Redis' if env.get('REDIS_URL') else 'in-process limits'}"


def _create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children that run Python (not its tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    pids = []
    for pid in map(int, children):
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        if "resource_tracker" not in cmdline:
            pids.append(pid)
    return pids


def connections_per_worker(pids: list[int], port: int) -> list[int]:
    """Client connections each worker holds on `port`: how keep-alive traffic split between them.

    uvicorn's workers accept from one shared socket, so a connection stays with whichever
    worker woke first; an uneven split leaves one loop busier and is part of the run-to-run
    spread. Established sockets on the port, from /proc/net/tcp*, matched to each worker's fds.
    """
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        links = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # an fd closed while we look
                links.append(os.readlink(fd))
        counts.append(sum(link in inodes for link in links))
    return counts


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load(
    url: str,
    *,
    model: str,
    key: str | None,
    c: int,
    stream: bool,
    duration: float,
    gap_ms: float = 0.0,
    spread: Callable[[], list[int]] | None = None,
) -> dict:
    out = OUT / f"load-{time.monotonic_ns()}.json"
    cmd = [
        sys.executable, str(HERE / "load.py"), "--url", url, "--model", model,
        "--corpus", str(HERE / "chat.jsonl"), "-c", str(c), "-d", str(duration),
        "--warmup", str(WARMUP_SECONDS), "--ramp-ms", str(min(40, 1000 // max(c, 1))), "--out", str(out),
    ]  # fmt: skip
    if key:
        cmd += ["--key", key]
    if stream:
        cmd.append("--stream")
    if gap_ms:
        cmd += ["--gap-ms", f"{gap_ms:.1f}"]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    split = None
    if spread is not None:  # looked at halfway through the measured window
        time.sleep(WARMUP_SECONDS + duration / 2)
        split = spread()
    if proc.wait() != 0:
        raise SystemExit(f"the load generator failed ({proc.returncode})")
    result = json.loads(out.read_text())
    result["connections_per_worker"] = split
    out.unlink()
    return result


def pct(summary: dict | None, name: str) -> float | None:
    return None if not summary else summary.get(name)


def added(k: dict | None, d: dict | None, name: str) -> str:
    a, b = pct(k, name), pct(d, name)
    return "-" if a is None or b is None else f"{a - b:+.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_SECONDS", 5)))
    parser.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1,8,32"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env, services = environment()
    py = sys.executable

    subprocess.run(
        [py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    up_port, port = free_port(), free_port()
    upstream = start(
        [py, str(HERE / "fake_upstream.py"), "--port", str(up_port), "--echo",
         "--chunks", "16", "--chunk-delay-ms", "5"],
        env, OUT / "upstream.log",
    )  # fmt: skip
    procs = [upstream]
    try:
        up_url = f"http://127.0.0.1:{up_port}"
        wait_http(up_url + "/health", (200,))
        setup = subprocess.run(
            [py, "-m", "routing.bench.setup", "--upstream", up_url + "/v1"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        secret = setup.stdout.strip().splitlines()[-1]
        server = start(
            [py, "-m", "uvicorn", "console.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers), "--no-access-log",
             "--lifespan", "off"],
            env, OUT / "kordon.log",
        )  # fmt: skip
        procs.append(server)
        kordon = f"http://127.0.0.1:{port}"
        wait_http(kordon + "/v1/models", (401,))
        time.sleep(1.0)
        results = run_matrix(
            args,
            kordon,
            up_url,
            secret,
            lambda: connections_per_worker(worker_pids(server.pid), port),
        )
        pids = worker_pids(server.pid) or [server.pid]
        rss = {pid: round(rss_mb(pid), 1) for pid in pids}
        report(results, rss, args.workers, services)
        (OUT / "results.json").write_text(json.dumps({"runs": results, "rss_mb": rss}, indent=1))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


def run_matrix(
    args: argparse.Namespace,
    kordon: str,
    up_url: str,
    secret: str,
    spread: Callable[[], list[int]],
) -> list[dict]:
    def measure(c: int, stream: bool, gap_ms: float = 0.0) -> dict:
        """The direct call, then the gateway, under the same load; one line of progress."""
        direct = load(up_url, model="bench-model", key=None, c=c, stream=stream,
                      duration=args.duration, gap_ms=gap_ms)  # fmt: skip
        gateway = load(kordon, model="assistant", key=secret, c=c, stream=stream,
                       duration=args.duration, gap_ms=gap_ms,
                       spread=spread if c > 1 else None)  # fmt: skip
        run = {"c": c, "stream": stream, "direct": direct, "kordon": gateway}
        if gap_ms:
            run["paced_ms"] = gap_ms
        sys.stderr.write(f"  c={c} {_mode(run)}: direct {direct['rps']} rps, "
                         f"kordon {gateway['rps']} rps, errors {gateway['errors'] or '-'}\n")  # fmt: skip
        return run

    # Warm every worker's detector, policy and key caches before measuring.
    load(kordon, model="assistant", key=secret, c=8, stream=False, duration=2)
    results = []
    for c in [int(x) for x in args.concurrency.split(",")]:
        results.append(measure(c, stream=False))
        results.append(measure(c, stream=True))
        if c == 1:
            # JSON at c=1 with the machine idle between requests as long as a stream lasts.
            # Back-to-back JSON keeps every process and CPU busy; a stream leaves them idle for
            # most of its ~80 ms, and on these VMs everything after an idle spell runs slower
            # (wake-ups, cold caches, the audit insert's durable commit). This run lets the
            # stream's added first content be read against JSON under the same conditions.
            results.append(
                measure(1, stream=False, gap_ms=results[-1]["direct"]["latency_ms"]["p50"])
            )
    return results


def report(results: list[dict], rss: dict[int, float], workers: int, services: str) -> None:
    w = sys.stdout.write
    w(f"\nKordon bench: {workers} uvicorn workers, {services}, fake upstream in echo mode\n")
    w("(added = Kordon minus the direct call to the same upstream, same run; ms)\n\n")
    w(f"{'mode':6} {'c':>3} {'direct rps':>10} {'kordon rps':>10} {'ratio':>6} "
      f"{'conns/worker':>12}  errors\n")  # fmt: skip
    for r in results:
        d, k = r["direct"], r["kordon"]
        ratio = k["rps"] / d["rps"] if d["rps"] else 0
        split = "/".join(map(str, k.get("connections_per_worker") or [])) or "-"
        w(f"{_mode(r):6} {r['c']:>3} {d['rps']:>10.1f} {k['rps']:>10.1f} {ratio:>6.2f} "
          f"{split:>12}  {k['errors'] or '-'}\n")  # fmt: skip
    w(f"\n{'mode':6} {'c':>3} {'class':12} {'p50':>7} {'p95':>7} {'p99':>7} "
      f"{'1st content':>11} {'events k/d':>10}\n")  # fmt: skip
    for r in results:
        mode = _mode(r)
        for cls in CLASSES:
            d = r["direct"]["per_class"].get(cls, {})
            k = r["kordon"]["per_class"].get(cls, {})
            dl, kl = d.get("latency_ms"), k.get("latency_ms")
            fc = (
                added(k.get("first_content_ms"), d.get("first_content_ms"), "p50")
                if r["stream"]
                else "-"
            )
            ev = (f"{r['kordon']['events_per_response']}/{r['direct']['events_per_response']}"
                  if r["stream"] else "-")  # fmt: skip
            w(f"{mode:6} {r['c']:>3} {cls:12} {added(kl, dl, 'p50'):>7} {added(kl, dl, 'p95'):>7} "
              f"{added(kl, dl, 'p99'):>7} {fc:>11} {ev:>10}\n")  # fmt: skip
    w("\nRSS per worker (MB): " + ", ".join(f"{v}" for v in rss.values()) + "\n")
    targets(results, rss)


def _mode(run: dict) -> str:
    return "stream" if run["stream"] else "paced" if "paced_ms" in run else "json"


def _class(
    results: list[dict], c: int, stream: bool, cls: str, who: str, metric: str, paced: bool = False
) -> Any:
    for r in results:
        if r["c"] == c and r["stream"] == stream and ("paced_ms" in r) == paced:
            return (r[who]["per_class"].get(cls) or {}).get(metric) or {}
    return {}


def targets(results: list[dict], rss: dict[int, float]) -> None:
    w = sys.stdout.write
    checks: list[tuple[str, bool, str]] = []
    by = {(r["c"], r["stream"]): r for r in results if "paced_ms" not in r}
    if (32, False) in by:
        rps = by[(32, False)]["kordon"]["rps"]
        checks.append(("c=32 JSON, masking on: >= 340 req/s", rps >= 340, f"{rps:.0f} req/s"))
    if (1, False) in by:
        for cls, limit in (("small_clean", 3.0), ("large_pii", 8.0)):
            k = _class(results, 1, False, cls, "kordon", "latency_ms").get("p50")
            d = _class(results, 1, False, cls, "direct", "latency_ms").get("p50")
            if k is not None and d is not None:
                checks.append(
                    (f"c=1 added p50 {cls} <= {limit} ms", k - d <= limit, f"{k - d:.2f} ms")
                )
    if (1, False) in by and (1, True) in by:
        for cls in CLASSES:
            kj = _class(results, 1, False, cls, "kordon", "latency_ms").get("p50")
            dj = _class(results, 1, False, cls, "direct", "latency_ms").get("p50")
            ks = _class(results, 1, True, cls, "kordon", "first_content_ms").get("p50")
            ds = _class(results, 1, True, cls, "direct", "first_content_ms").get("p50")
            if None not in (kj, dj, ks, ds):
                gap = (ks - ds) - (kj - dj)
                checks.append((f"c=1 stream added 1st content within 1 ms of JSON ({cls})",
                               gap <= 1.0, f"{gap:+.2f} ms"))  # fmt: skip
    if (32, True) in by:
        k = by[(32, True)]["kordon"]["first_content_ms"]["p50"]
        d = by[(32, True)]["direct"]["first_content_ms"]["p50"]
        checks.append(
            ("c=32 stream first content <= 2x direct", k <= 2 * d, f"{k:.1f} vs {d:.1f} ms")
        )
        ke = by[(32, True)]["kordon"]["events_per_response"]
        de = by[(32, True)]["direct"]["events_per_response"]
        checks.append(("every upstream event delivered", ke >= de, f"{ke} vs {de} per answer"))
    checks.append(
        ("<= 250 MB RSS per worker", max(rss.values()) <= 250, f"max {max(rss.values())} MB")
    )
    w("\nTargets\n")
    for name, ok, value in checks:
        w(f"  [{'PASS' if ok else 'FAIL'}] {name}: {value}\n")
    context = idle_context(results)
    if context:
        w("\nContext, not a target: the stream's added 1st content against paced JSON\n")
        w("(JSON with the same idle time between requests as a stream; see the README)\n")
        for cls, value in context:
            w(f"  {cls:12} {value:+.2f} ms\n")


def idle_context(results: list[dict]) -> list[tuple[str, float]]:
    """Per class: stream added first content minus paced JSON added p50 at c=1."""
    rows = []
    for cls in CLASSES:
        kp = _class(results, 1, False, cls, "kordon", "latency_ms", paced=True).get("p50")
        dp = _class(results, 1, False, cls, "direct", "latency_ms", paced=True).get("p50")
        ks = _class(results, 1, True, cls, "kordon", "first_content_ms").get("p50")
        ds = _class(results, 1, True, cls, "direct", "first_content_ms").get("p50")
        if None not in (kp, dp, ks, ds):
            rows.append((cls, (ks - ds) - (kp - dp)))
    return rows


if __name__ == "__main__":
    sys.exit(main())
