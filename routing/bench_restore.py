"""Micro-benchmark of masking, restoring and output scanning: `python -m routing.bench_restore`.

Prints one line per case: the median over several runs of the cost per unit (per SSE chunk,
per request). Targets (issue 3): restoring adds <= 50 us per SSE chunk; masking a 2 KB prompt
fits in detection's 3 ms budget. Synthetic, deterministic texts; nothing leaves the process.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

from routing.findings import Finding
from routing.masking import MaskRule, ScanResult, mask_request
from routing.placeholders import Vault
from routing.restoring import StreamRestorer, restore_json_response
from routing.texts import request_texts

RUNS = 7
WORDS = ("the", "client", "asked", "about", "the", "account", "balance", "and", "next", "payment")


def _median_ns(run: Callable[[], int], runs: int = RUNS) -> float:
    """Median of `runs` calls; each call returns how many units it did, we divide by it."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        units = run()
        samples.append((time.perf_counter_ns() - start) / units)
    return statistics.median(samples)


def _vault(size: int) -> Vault:
    vault = Vault()
    for i in range(1, size + 1):
        vault.add(f"<PERSON_{i}>", f"Person Number{i}")
        vault.add(f"<EMAIL_ADDRESS_{i}>", f"user{i}@example.kz")
    return vault


def _answer(rng: random.Random, chars: int, placeholder_every: int, size: int) -> str:
    out: list[str] = []
    length = 0
    while length < chars:
        if rng.randrange(placeholder_every) == 0:
            word = f"<{rng.choice(['PERSON', 'EMAIL_ADDRESS'])}_{rng.randint(1, size)}>"
        else:
            word = rng.choice(WORDS)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)


def _chunks(text: str, rng: random.Random) -> list[str]:
    """Cut like a model streams: 1 to 8 characters per delta."""
    out, i = [], 0
    while i < len(text):
        step = rng.randint(1, 8)
        out.append(text[i : i + step])
        i += step
    return out


def _stream_case(vault: Vault, chunks: list[str], key: tuple[object, ...]) -> Callable[[], int]:
    def run() -> int:
        restorer = StreamRestorer(vault)
        for chunk in chunks:
            restorer.feed(key, chunk)
        restorer.flush(key)
        return len(chunks)

    return run


def _mask_case() -> tuple[Callable[[], int], int, int]:
    """A 2 KB chat prompt over 4 messages with 24 findings (pure masking: findings given)."""
    rng = random.Random(7)  # noqa: S311 - deterministic test data, not security
    messages, findings = [], []
    for _ in range(4):
        parts, found, pos = [], [], 0
        for j in range(60):
            if j % 10 == 5:
                value = f"user{rng.randint(1, 4)}@example.kz"
                found.append(Finding("EMAIL_ADDRESS", pos, pos + len(value), 1.0))
            else:
                value = rng.choice(WORDS)
            parts.append(value)
            pos += len(value) + 1
        messages.append({"role": "user", "content": " ".join(parts)})
        findings.append(found)
    body = {"model": "assistant", "messages": messages}
    rules = {"EMAIL_ADDRESS": MaskRule("placeholder")}
    size = sum(len(m["content"]) for m in messages)

    def run() -> int:
        for _ in range(200):
            slots, kinds = request_texts(body, "chat")
            mask_request(
                body,
                ScanResult(slots, findings, kinds),
                rules=rules,
                external=True,
                hash_key=b"k",
            )
        return 200

    return run, size, sum(len(f) for f in findings)


def _output_scan_case(chunks: list[str]) -> Callable[[], int] | None:
    try:
        from routing.detection import get_detector
        from routing.output_scan import OutputScanner
    except ImportError:  # detection not installed in this checkout
        return None
    detector = get_detector()
    entities = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER"})

    def run() -> int:
        detector.cache.clear()  # an answer is new text: do not measure cache hits
        scanner = OutputScanner(detector=detector, entities=entities, vault=Vault())
        for chunk in chunks:
            scanner.feed((0, "content"), chunk)
        scanner.flush((0, "content"))
        return len(chunks)

    return run


def main() -> None:
    rng = random.Random(42)  # noqa: S311 - deterministic test data, not security
    write = sys.stdout.write
    vault = _vault(20)
    plain = _chunks(_answer(rng, 2000, 10**9, 20), rng)
    dense = _chunks(_answer(rng, 2000, 8, 20), rng)
    tool = _chunks('{"names": "' + _answer(rng, 2000, 8, 20) + '"}', rng)
    write(f"restore, per SSE chunk ({len(dense)} chunks of 1-8 chars, 2 KB answer)\n")
    cases = [
        ("empty vault (nothing masked)", _stream_case(Vault(), dense, (0, "content"))),
        ("40 placeholders, plain answer", _stream_case(vault, plain, (0, "content"))),
        ("40 placeholders, one every 8 words", _stream_case(vault, dense, (0, "content"))),
        ("same, tool-call JSON arguments", _stream_case(vault, tool, (0, "tool", 0))),
    ]
    for name, run in cases:
        write(f"  {name:<40} {_median_ns(run) / 1000:8.2f} us/chunk\n")
    answer = "".join(dense)
    resp = {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}

    def restore_answers() -> int:
        for _ in range(200):
            restore_json_response(resp, vault)
        return 200

    json_ns = _median_ns(restore_answers)
    write(f"restore_json_response, 2 KB answer        {json_ns / 1000:8.2f} us/answer\n")
    mask_run, size, count = _mask_case()
    write(
        f"request_texts + mask_request, {size} B chat, {count} findings "
        f"{_median_ns(mask_run) / 1000:8.2f} us/request\n"
    )
    scan_run = _output_scan_case(_chunks(answer.replace(">", ">\n", 5), rng))
    if scan_run is not None:
        per_chunk = _median_ns(scan_run, 3)
        write(
            f"output scanning (by line), per SSE chunk  {per_chunk / 1000:8.2f} us/chunk, "
            f"{per_chunk * len(dense) / 1e6:.2f} ms per 2 KB answer (detector, cache cleared)\n"
        )


if __name__ == "__main__":
    main()
