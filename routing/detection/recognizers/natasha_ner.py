# ruff: noqa: RUF001
"""Optional higher-accuracy PERSON for Cyrillic text: natasha's slovnet NER (weights ship in
the wheel, MIT). About 5-20 ms per KB, so it is off unless `KORDON_PERSON_NATASHA=1`."""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from routing.detection.recognizers.base import Doc, Recognizer, result

_CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


class NatashaPersonRecognizer(Recognizer):
    ENTITIES = ("PERSON",)

    def __init__(self) -> None:
        super().__init__()
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

        self._segmenter = Segmenter()
        self._tagger = NewsNERTagger(NewsEmbedding())

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        if not _CYRILLIC.search(doc.text):
            return []  # finds nothing in English
        from natasha import Doc as NatashaDoc

        parsed = NatashaDoc(doc.text)
        parsed.segment(self._segmenter)
        parsed.tag_ner(self._tagger)
        return [result("PERSON", s.start, s.stop, 0.8) for s in parsed.spans if s.type == "PER"]
