# ruff: noqa: RUF001
"""The detector's public behaviour: entities found in the original text, fail closed, cache."""

from __future__ import annotations

import itertools

import pytest

from routing.detection import DetectionError, Detector, get_detector
from routing.detection.recognizers.base import Recognizer

TEXT = (
    "Клиент: ИИН 900101301005, тел. +7 701 123 45 67, ИНН 7707083893, "
    "john.smith@example.com, card 4111 1111 1111 1111, IBAN KZ86125KZT5004100100, "
    "host 10.0.0.1, key AKIAIOSFODNN7EXAMPLE, пароль: Qwerty123, SSN 078-05-1121"
)
EXPECTED = {
    "900101301005": "KZ_IIN",
    "+7 701 123 45 67": "PHONE_NUMBER",
    "7707083893": "RU_INN",
    "john.smith@example.com": "EMAIL_ADDRESS",
    "4111 1111 1111 1111": "CREDIT_CARD",
    "KZ86125KZT5004100100": "IBAN_CODE",
    "10.0.0.1": "IP_ADDRESS",
    "AKIAIOSFODNN7EXAMPLE": "SECRET",
    "Qwerty123": "SECRET",
    "078-05-1121": "US_SSN",
}


def _found(text: str, **kwargs) -> dict[str, str]:
    return {text[f.start : f.end]: f.entity for f in get_detector().detect(text, **kwargs)}


def test_detects_each_entity_in_the_original_text():
    found = _found(TEXT)
    for value, entity in EXPECTED.items():
        assert found.get(value) == entity, value


def test_findings_are_sorted_and_do_not_overlap():
    findings = get_detector().detect(TEXT)
    assert findings == sorted(findings, key=lambda f: f.start)
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start


def test_entities_argument_limits_the_result():
    found = _found(TEXT, entities=frozenset({"EMAIL_ADDRESS"}))
    assert set(found.values()) == {"EMAIL_ADDRESS"}


def test_spans_point_into_the_original_text_after_normalisation():
    text = "ИИН: ９００１０１\u200b３０１００５ и всё"
    (finding,) = get_detector().detect(text)
    assert finding.entity == "KZ_IIN"
    assert text[finding.start : finding.end] == "９００１０１\u200b３０１００５"


class _Broken(Recognizer):
    ENTITIES = ("KZ_IIN",)

    def scan(self, doc):
        raise ZeroDivisionError("recognizer bug")


def test_a_failing_recognizer_raises_detection_error():
    detector = Detector([*get_detector().recognizers, _Broken()])
    with pytest.raises(DetectionError):
        detector.detect("ИИН 900101301005")


def test_non_text_input_raises_detection_error():
    with pytest.raises(DetectionError):
        get_detector().detect(b"bytes")  # type: ignore[arg-type]


def test_repeated_text_is_served_from_the_cache():
    detector = Detector()
    first = detector.detect(TEXT)
    hits = detector.cache.hits
    assert detector.detect(TEXT) == first
    assert detector.cache.hits == hits + 1
