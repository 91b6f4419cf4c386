"""The recognizers are Presidio recognizers: they run inside an offline AnalyzerEngine too,
and an installed spaCy pipeline plugs in as a PERSON recognizer."""

from __future__ import annotations

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine.no_op_nlp_engine import NoOpNlpEngine

from routing.detection import Detector, get_detector
from routing.detection.recognizers.base import LANGUAGE
from routing.detection.recognizers.ner import SpacyPersonRecognizer


def test_recognizers_run_inside_an_offline_presidio_analyzer_engine():
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in get_detector().recognizers:
        assert isinstance(recognizer, EntityRecognizer)
        registry.add_recognizer(recognizer)
    engine = AnalyzerEngine(
        registry=registry,
        nlp_engine=NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}]),
        supported_languages=[LANGUAGE],
    )
    text = "ИИН: " + "".join(chr(ord(c) + 0xFEE0) for c in "900101301005") + ", John Smith, a@b.kz"
    found = {
        (r.entity_type, text[r.start : r.end]) for r in engine.analyze(text, language=LANGUAGE)
    }
    assert ("KZ_IIN", text[5:17]) in found  # spans in the original (full-width) text
    assert ("PERSON", "John Smith") in found
    assert ("EMAIL_ADDRESS", "a@b.kz") in found


def test_a_spacy_pipeline_is_used_for_person():
    nlp = spacy.blank("xx")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PER", "pattern": "Zorblat Quux"}])
    detector = Detector([SpacyPersonRecognizer(nlp, "test-pipeline")])
    text = "met zorblat and Zorblat Quux today"
    assert [(f.entity, text[f.start : f.end]) for f in detector.detect(text)] == [
        ("PERSON", "Zorblat Quux")
    ]
