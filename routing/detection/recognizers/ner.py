"""An operator-installed NER model for PERSON, used automatically when importable.

Nothing is ever downloaded: only spaCy pipelines already installed as packages are used
(`spacy.util.get_installed_models()`), e.g. `ru_core_news_sm` or `en_core_web_sm` installed
from the operator's own wheel. `KORDON_NER_MODELS` (comma-separated) limits which.
"""

from __future__ import annotations

import os

from presidio_analyzer import RecognizerResult

from routing.detection.recognizers.base import Doc, Recognizer, result

_LABELS = frozenset({"PER", "PERSON"})


class SpacyPersonRecognizer(Recognizer):
    ENTITIES = ("PERSON",)

    def __init__(self, nlp: object, model: str) -> None:
        super().__init__()
        self._nlp = nlp
        self.name = f"spacy:{model}"

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        parsed = self._nlp(doc.text)  # type: ignore[operator]
        return [
            result("PERSON", ent.start_char, ent.end_char, 0.8)
            for ent in parsed.ents
            if ent.label_ in _LABELS
        ]


def installed_ner_recognizers() -> list[Recognizer]:
    wanted = [m.strip() for m in os.environ.get("KORDON_NER_MODELS", "").split(",") if m.strip()]
    try:
        import spacy
        import spacy.util
    except ImportError:
        return []
    models = sorted(spacy.util.get_installed_models())
    if wanted:
        models = [m for m in models if m in wanted]
    recognizers: list[Recognizer] = []
    for model in models:
        nlp = spacy.load(model, exclude=["parser", "lemmatizer", "textcat", "tagger"])
        if "ner" in nlp.pipe_names:
            recognizers.append(SpacyPersonRecognizer(nlp, model))
    return recognizers
