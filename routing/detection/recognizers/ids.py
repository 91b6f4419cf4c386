"""Numeric identifiers: KZ_IIN, KZ_BIN, RU_INN, RU_SNILS, RU_PASSPORT, US_SSN, CREDIT_CARD.

One pass finds runs of digit groups separated by a space, dash, dot, slash or line break.
Every contiguous sequence of whole groups (at most 19 digits) is joined and checked, so
`8704 1230 0123`, `870412-300123` or a number split across lines is found as one value.
Strong checksums (IIN/BIN date and mod-11, card brand and Luhn) need no context; weak ones
(INN, SNILS, unformatted SSN) and the passport (no checksum) need a context word nearby.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, RecognizerResult

from routing.detection import context, validators
from routing.detection.recognizers.base import Doc, Recognizer, result

RUN = Pattern(
    "digit_run",
    r"(?<![0-9A-Za-z_+])[0-9]+(?:(?:[ \t]{0,2}[.\-/][ \t]{0,2}|[ \t]{1,2}|[ \t]*\r?\n[ \t]*)[0-9]+)*(?![0-9A-Za-z_])",
    0.5,
)
_RUN = re.compile(RUN.regex)
_GROUP = re.compile(r"[0-9]+")
_DOTTED_QUAD = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_AFTER_PLUS = re.compile(r"\+[0-9]{1,3}[ \t\u00a0(\-]*$")
_SSN_FORMAT = re.compile(r"\d{3}-\d{2}-\d{4}")
_SNILS_FORMAT = re.compile(r"\d{3}-\d{3}-\d{3}[ -]\d{2}")

STRONG = 0.9  # valid strong checksum, no context
STRONG_CTX = 1.0  # valid strong checksum with its context word
WEAK_CTX = 0.95  # weak checksum or no checksum, with its context word
FORMATTED = 0.85  # weak checksum in its distinctive printed format, no context


class NumericIdRecognizer(Recognizer):
    ENTITIES = ("KZ_IIN", "KZ_BIN", "RU_INN", "RU_SNILS", "RU_PASSPORT", "US_SSN", "CREDIT_CARD")

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        for run in _RUN.finditer(text):
            if _is_ipv4(run.group()) or _AFTER_PLUS.search(
                text, max(0, run.start() - 6), run.start()
            ):
                continue  # an IP address, or the rest of a `+7 ...` phone number
            groups = [(m.start(), m.end()) for m in _GROUP.finditer(text, run.start(), run.end())]
            self._windows(doc, groups, out)
        return out

    def _windows(
        self, doc: Doc, groups: list[tuple[int, int]], out: list[RecognizerResult]
    ) -> None:
        """Every window of whole groups with 9-19 digits. A window that is not the whole run
        (or a `/`-separated part) may not contain groups shorter than 3 digits, which keeps
        the work per group constant even for `1 1 1 1 ...`."""
        text = doc.text
        last = len(groups) - 1
        lens = [e - s for s, e in groups]
        for i, (gs, _) in enumerate(groups):
            whole_start = i == 0 or "/" in text[groups[i - 1][1] : gs]
            total = 0
            short_inside = False
            for j in range(i, last + 1):
                if j > i and lens[j - 1] < 3:
                    short_inside = True
                total += lens[j]
                if total > 19:
                    break
                e = groups[j][1]
                whole = whole_start and (j == last or "/" in text[e : groups[j + 1][0]])
                if short_inside and not whole:
                    if not whole_start:
                        break
                    continue
                if total >= 9:
                    digits = "".join(text[s:t] for s, t in groups[i : j + 1])
                    self._classify(doc, digits, gs, e, whole, out)

    def _classify(
        self, doc: Doc, digits: str, start: int, end: int, whole: bool, out: list[RecognizerResult]
    ) -> None:
        """`whole`: the candidate is the whole digit run (or a `/`-separated part of it).
        Weak identifiers and finely split cards are only taken whole."""
        n = len(digits)
        if n < 9:
            return
        if n >= 13:
            if validators.credit_card(digits) and (whole or _card_grouping(doc.text, start, end)):
                strong = context.near(doc.lower, start, end, context.CREDIT_CARD)
                out.append(result("CREDIT_CARD", start, end, STRONG_CTX if strong else STRONG))
            return
        lower = doc.lower

        def ctx(pattern: re.Pattern[str]) -> bool:
            return context.near(lower, start, end, pattern)

        if n == 12:
            if validators.kz_iin(digits):
                out.append(
                    result("KZ_IIN", start, end, STRONG_CTX if ctx(context.KZ_IIN) else STRONG)
                )
            elif validators.kz_bin(digits):
                out.append(
                    result("KZ_BIN", start, end, STRONG_CTX if ctx(context.KZ_BIN) else STRONG)
                )
            if whole and validators.ru_inn(digits) and ctx(context.RU_INN):
                out.append(result("RU_INN", start, end, WEAK_CTX))
            return
        if not whole:
            return
        if n == 10:
            if validators.ru_inn(digits) and ctx(context.RU_INN):
                out.append(result("RU_INN", start, end, WEAK_CTX))
            elif ctx(context.RU_PASSPORT) and digits[:2] != "00":
                out.append(result("RU_PASSPORT", start, end, WEAK_CTX))
        elif n == 11:
            if validators.ru_snils(digits):
                if ctx(context.RU_SNILS):
                    out.append(result("RU_SNILS", start, end, WEAK_CTX))
                elif _SNILS_FORMAT.fullmatch(doc.text, start, end):
                    out.append(result("RU_SNILS", start, end, FORMATTED))
        elif n == 9 and validators.us_ssn(digits):
            if ctx(context.US_SSN):
                out.append(result("US_SSN", start, end, WEAK_CTX))
            elif _SSN_FORMAT.fullmatch(doc.text, start, end):
                out.append(result("US_SSN", start, end, FORMATTED))


def _is_ipv4(value: str) -> bool:
    return bool(_DOTTED_QUAD.fullmatch(value)) and all(int(p) <= 255 for p in value.split("."))


def _card_grouping(text: str, start: int, end: int) -> bool:
    """A card split into groups is split into groups of 3 or more (4-4-4-4, 4-6-5, ...)."""
    groups = _GROUP.findall(text, start, end)
    return all(len(g) >= 3 for g in groups[:-1])
