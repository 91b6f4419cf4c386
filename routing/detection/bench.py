# ruff: noqa: RUF001
"""Detection speed: `python -m routing.detection.bench` (part of `make bench`).

Median CPU time (thread time) of `Detector.detect` on one core, warm, with the findings cache cleared
before every call (a cache hit is measured separately), on mixed Russian/Kazakh/English
prompts of about 200 B, 2 KB, 20 KB and 80 KB, with and without PERSON.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time

from routing.detection import ENTITIES, Detector

PARAGRAPHS = (
    "Добрый день! Клиент Асқар Серікұлы Жұмабаев (ИИН 900101301005) просит перевести "
    "150 000 тенге на счёт KZ86125KZT5004100100. Телефон для связи +7 701 123 45 67.",
    "Please summarise the complaint from Sarah Connor about order 100234; she wrote from "
    "sarah.connor@example.com and asked us to call her back at +1 (415) 555-0198 tomorrow.",
    "Құрметті Айгүл Нұрланқызы, сіздің өтініміңіз қабылданды. Жауапты қызметкер: Ерлан "
    "Омаров, ұялы телефон 8 702 555 12 34. Келесі кездесу сәрсенбі күні сағат 15:00-де.",
    "Сервер 10.20.30.40 недоступен с утра, логи во вложении; ключ доступа к API уже отозван, "
    "новый выдаст Иван Петрович Сидоров после согласования с отделом безопасности.",
    "The quarterly report for the Almaty branch shows revenue growth of 12% and a new "
    "contract with a logistics partner; the board meets on Monday to approve the budget.",
    "Поезд из Алматы в Астану идёт около 12 часов, билеты лучше брать заранее через "
    "приложение, особенно в праздничные дни, когда спрос выше обычного.",
)


def sample(size: int) -> str:
    """About `size` bytes of UTF-8 (Cyrillic takes two bytes a letter)."""
    out: list[str] = []
    total, i = 0, 0
    while total < size:
        paragraph = PARAGRAPHS[i % len(PARAGRAPHS)]
        out.append(paragraph)
        total += len(paragraph.encode()) + 1
        i += 1
    text = "\n".join(out)
    while len(text.encode()) > size:
        text = text[: -max(1, (len(text.encode()) - size) // 2)]
    return text


def median_ms(detector: Detector, text: str, entities: frozenset[str] | None, runs: int) -> float:
    times = []
    for _ in range(runs):
        detector.cache.clear()
        start = time.thread_time()  # CPU time of this thread: robust to a busy shared machine
        detector.detect(text, entities=entities)
        times.append(time.thread_time() - start)
    return statistics.median(times) * 1000


def main() -> int:
    detector = Detector()
    without_person = frozenset(ENTITIES) - {"PERSON"}
    lines = ["Detection (median CPU ms on one core, warm, findings cache cleared per call)"]
    lines.append(f"{'size':>8}{'bytes':>8}{'no PERSON':>12}{'with PERSON':>13}{'µs/KB':>9}")
    for label, size, runs in (
        ("200 B", 200, 400),
        ("2 KB", 2000, 200),
        ("20 KB", 20000, 40),
        ("80 KB", 80000, 10),
    ):
        text = sample(size)
        detector.detect(text)  # warm the per-word caches once, as a running worker would be
        fast = median_ms(detector, text, without_person, runs)
        full = median_ms(detector, text, None, runs)
        nbytes = len(text.encode())
        lines.append(
            f"{label:>8}{nbytes:>8}{fast:>12.2f}{full:>13.2f}{full * 1000 / (nbytes / 1024):>9.0f}"
        )
    text = sample(2048)
    detector.detect(text)
    start = time.perf_counter()
    for _ in range(1000):
        detector.detect(text)
    hit_us = (time.perf_counter() - start) * 1000
    lines.append(f"cache hit (2 KB, re-sent history): {hit_us:.1f} µs per text")
    cold = Detector()
    start = time.perf_counter()
    cold.detect(sample(2048) + " Zyxwert Qwomblat")
    lines.append(
        f"first call in a fresh detector (cold word caches): {(time.perf_counter() - start) * 1000:.1f} ms"
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak RSS: {rss_mb:.0f} MB")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
