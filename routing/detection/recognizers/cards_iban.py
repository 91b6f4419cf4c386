"""IBAN_CODE: every country of the IBAN registry, KZ included; spaced groups and lower case."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, RecognizerResult

from routing.detection import validators
from routing.detection.recognizers.base import Doc, Recognizer, result

IBAN = Pattern("iban", r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){10,32}", 0.5)
_IBAN = re.compile(IBAN.regex)


class IbanRecognizer(Recognizer):
    ENTITIES = ("IBAN_CODE",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        for m in _IBAN.finditer(text):
            cc = text[m.start() : m.start() + 2].upper()
            length = validators.IBAN_LENGTHS.get(cc)
            if length is None:
                continue
            compact: list[str] = []
            end = m.start()
            for i in range(m.start(), m.end()):
                ch = text[i]
                if ch.isalnum():
                    compact.append(ch.upper())
                    if len(compact) == length:
                        end = i + 1
                        break
            if len(compact) != length:
                continue
            if end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
                continue  # the value runs on: not an IBAN of this length
            if validators.iban("".join(compact)):
                out.append(result("IBAN_CODE", m.start(), end, 1.0))  # mod-97 + exact length
        return out
