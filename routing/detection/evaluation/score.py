"""Scoring: a finding matches a gold span of the same entity when their overlap is at least
half of their union. Each gold span is matched at most once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from routing.findings import Finding


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Tally:
    by: dict[tuple[str, str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(self, kind: str, lang: str, entity: str, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        for key in ((kind, lang, entity), (kind, "all", entity)):
            c = self.by[key]
            c.tp += tp
            c.fp += fp
            c.fn += fn

    def get(self, kinds: tuple[str, ...], lang: str, entities: tuple[str, ...]) -> Counts:
        total = Counts()
        for (kind, lg, entity), c in self.by.items():
            if kind in kinds and lg == lang and entity in entities:
                total.tp += c.tp
                total.fp += c.fp
                total.fn += c.fn
        return total


def _match(a: tuple[int, int], b: tuple[int, int]) -> bool:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return overlap > 0 and overlap * 2 >= union


def score_record(
    tally: Tally, kind: str, lang: str, gold: list[list], found: list[Finding]
) -> None:
    used: set[int] = set()
    for start, end, entity in gold:
        hit = None
        for i, f in enumerate(found):
            if i not in used and f.entity == entity and _match((start, end), (f.start, f.end)):
                hit = i
                break
        if hit is None:
            tally.add(kind, lang, entity, fn=1)
        else:
            used.add(hit)
            tally.add(kind, lang, entity, tp=1)
    for i, f in enumerate(found):
        if i not in used:
            tally.add(kind, lang, f.entity, fp=1)
