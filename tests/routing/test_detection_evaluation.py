"""`make eval`: the committed corpus is what the seeded generator makes, and the targets hold."""

from __future__ import annotations

import json

from routing.detection.evaluation import __main__ as evaluation
from routing.detection.evaluation.generate import CORPUS, build


def test_committed_corpus_is_reproducible_from_the_seed():
    committed = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    assert committed == build()


def test_gold_spans_are_inside_their_texts():
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for start, end, _ in record["spans"]:
            assert 0 <= start < end <= len(record["text"])


def test_corpus_covers_languages_kinds_and_entities():
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    assert {r["lang"] for r in records} == {"en", "ru", "kk"}
    assert {r["kind"] for r in records} == {
        "positive",
        "person",
        "near_miss",
        "clean",
        "obfuscated",
    }
    entities = {e for r in records for _, _, e in r["spans"]}
    assert len(entities) == 13


def test_evaluation_meets_the_targets():
    out: list[str] = []
    assert evaluation.run(out), "\n".join(out)
