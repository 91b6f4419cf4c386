"""The document every recognizer scans, and the Presidio base class they share.

Recognizers are Presidio `EntityRecognizer`s (so they plug into an `AnalyzerEngine` too), but
the detector drives them itself in one linear pass over a `Doc`: Presidio's engine costs
several milliseconds per call in tokenisation and context enhancement (detection-facts.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from routing.detection.normalize import Normalized, fold_homoglyphs, normalize

LANGUAGE = "xx"  # one pseudo-language: prompts mix Russian, Kazakh and English


@dataclass(slots=True)
class Doc:
    """Normalised text plus lazily built views shared by all recognizers in one pass."""

    norm: Normalized
    _lower: str | None = field(default=None)
    _folded: str | None = field(default=None)

    @property
    def text(self) -> str:
        return self.norm.text

    @property
    def folded(self) -> str:
        """`text` with homoglyphs folded where scripts mix (same length, same offsets)."""
        if self._folded is None:
            self._folded = fold_homoglyphs(self.norm.text)
        return self._folded

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.norm.text.lower()
        return self._lower


class Recognizer(EntityRecognizer):
    """A recognizer that scans a `Doc`. Spans in results are in the NORMALISED text."""

    ENTITIES: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__(supported_entities=list(self.ENTITIES), supported_language=LANGUAGE)

    def load(self) -> None:  # nothing to load: patterns compile at import time
        return None

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio entry point: results over `text` itself (normalised spans mapped back)."""
        norm = normalize(text)
        out = []
        for r in self.scan(Doc(norm)):
            if entities and r.entity_type not in entities:
                continue
            start, end = norm.span(r.start, r.end)
            out.append(RecognizerResult(r.entity_type, start, end, r.score))
        return out


def result(entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity_type=entity, start=start, end=end, score=score)
