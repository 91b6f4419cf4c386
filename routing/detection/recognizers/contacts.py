# ruff: noqa: RUF003
"""EMAIL_ADDRESS (incl. `name at domain`, `name[at]domain`), PHONE_NUMBER, IP_ADDRESS."""

from __future__ import annotations

import ipaddress
import re

import phonenumbers
from presidio_analyzer import Pattern, RecognizerResult

from routing.detection import context
from routing.detection.recognizers.base import Doc, Recognizer, result

_AT = r"(?:@|\s?[\[\(\{<]\s?(?:at|собака|эт)\s?[\]\)\}>]\s?|\s(?:at|AT)\s)"
_DOT = r"(?:\.|\s?[\[\(\{<]\s?(?:dot|точка|нүкте)\s?[\]\)\}>]\s?|\s(?:dot|DOT)\s)"
EMAIL = Pattern(
    "email",
    r"(?<![\w.+\-%:/])[\w%+\-]+(?:\.[\w%+\-]+)*"
    + _AT
    + r"[\w\-]+(?:"
    + _DOT
    + r"[\w\-]+)*"
    + _DOT
    + r"[^\W\d_]{2,24}(?![\w\-])",
    0.5,
)
# The same pattern, run only around each `@` (or spelled "at"): cost grows with addresses,
# not with the length of the text.
_AT_TOKEN = re.compile(_AT)
_LOCAL = re.compile(r"(?<![\w.+\-%:/])[\w%+\-]+(?:\.[\w%+\-]+)*\Z")
_DOMAIN = re.compile(r"[\w\-]+(?:" + _DOT + r"[\w\-]+)*" + _DOT + r"[^\W\d_]{2,24}(?![\w\-])")
# `look at example.com` is not an address: words that often stand before a spaced "at".
_NOT_LOCAL = frozenset(
    [
        "look",
        "looking",
        "looked",
        "arrive",
        "arrived",
        "arriving",
        "stay",
        "stayed",
        "staying",
        "work",
        "works",
        "worked",
        "working",
        "live",
        "lives",
        "lived",
        "meet",
        "met",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "available",
        "here",
        "there",
        "located",
        "hosted",
        "found",
        "online",
        "posted",
        "published",
        "see",
        "visit",
        "check",
        "go",
        "went",
        "started",
        "me",
        "us",
        "them",
        "him",
        "her",
        "it",
        "you",
        "we",
        "they",
        "aim",
        "aimed",
        "aims",
        "point",
        "points",
        "pointing",
        "hit",
        "hits",
        "good",
        "bad",
        "best",
        "great",
        "expert",
    ]
)

PHONE = Pattern("phone", r"(?<![\w+(])\+?\(?[0-9](?:[ \t\-.()\u00a0]{0,3}[0-9]){6,}(?![\w])", 0.5)
_PHONE = re.compile(PHONE.regex)

IPV4 = Pattern(
    "ipv4",
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![\w]|\.[0-9])",
    0.5,
)
_IPV4 = re.compile(IPV4.regex)
IPV6 = Pattern(
    "ipv6",
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:|:)(?::|[0-9A-Fa-f]{1,4}:?){1,7}(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?:%\w+)?(?![\w:])",
    0.5,
)
_IPV6 = re.compile(IPV6.regex)


class EmailRecognizer(Recognizer):
    ENTITIES = ("EMAIL_ADDRESS",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if "@" not in doc.text and not _maybe_spelled(doc.lower):
            return out
        folded = doc.folded  # homoglyphs folded: `ivаn@mаil.ru` with Cyrillic а still matches
        last_end = 0
        for at in _AT_TOKEN.finditer(folded):
            if at.start() < last_end:
                continue
            local = _LOCAL.search(folded, max(last_end, at.start() - 64), at.start())
            domain = _DOMAIN.match(folded, at.end())
            if local is None or domain is None:
                continue
            spelled = at.group() != "@"
            if spelled:
                if local.group().lower() in _NOT_LOCAL:
                    continue
                value = folded[local.start() : domain.end()]
                if "." not in value and "dot" not in value.lower():
                    continue
            out.append(
                result("EMAIL_ADDRESS", local.start(), domain.end(), 0.9 if spelled else 1.0)
            )
            last_end = domain.end()
        return out


def _maybe_spelled(lower: str) -> bool:
    return (
        " at " in lower or "at]" in lower or "at)" in lower or "собака" in lower or "at}" in lower
    )


class PhoneRecognizer(Recognizer):
    """Candidates by regex; each parsed by libphonenumber (KZ/RU `+7`, `8 7xx`, international)."""

    ENTITIES = ("PHONE_NUMBER",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        budget = _Budget(200 + len(text) // 100)
        for m in _PHONE.finditer(text):
            cand = m.group()
            digits = re.sub(r"[^0-9]", "", cand)
            if len(digits) > 15:
                out.extend(self._split(doc, m.start(), cand, budget))
                continue
            if _valid(cand, digits, budget):
                out.append(self._result(doc, m.start(), m.end()))
        return out

    def _result(self, doc: Doc, start: int, end: int) -> RecognizerResult:
        strong = context.near(doc.lower, start, end, context.PHONE)
        return result("PHONE_NUMBER", start, end, 0.95 if strong else 0.85)

    def _split(self, doc: Doc, offset: int, cand: str, budget: _Budget) -> list[RecognizerResult]:
        """Several numbers written one after another: the longest valid window of groups at
        each group, then on after it."""
        groups = [(g.start(), g.end()) for g in re.finditer(r"[0-9]+", cand)]
        digits = [cand[a:b] for a, b in groups]
        plus = cand.startswith("+")
        found = []
        i = 0
        while i < len(groups):
            first = digits[i]
            if not (i == 0 or first[0] in "78" or len(first) == 3 or cand[groups[i][0] - 1] == "("):
                i += 1  # a number starts with +, 8/7, an area code or a bracket
                continue
            ends = []
            total = 0
            for j in range(i, len(groups)):
                total += len(digits[j])
                if total > 15:
                    break
                if total in (10, 11) or (total >= 10 and i == 0 and plus):
                    ends.append(j)
            start = groups[i][0]
            if (i == 0 and plus) or (start > 0 and cand[start - 1] == "("):
                start -= 1
            for j in reversed(ends):
                if _valid(cand[start : groups[j][1]], "".join(digits[i : j + 1]), budget):
                    found.append(self._result(doc, offset + start, offset + groups[j][1]))
                    i = j
                    break
            i += 1
        return found


class _Budget:
    """libphonenumber parses allowed for one text (each costs tens of microseconds); past it,
    numbers are checked structurally, so a text of nothing but digits stays cheap."""

    def __init__(self, parses: int) -> None:
        self.left = parses

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _valid(cand: str, digits: str, budget: _Budget | None = None) -> bool:
    n = len(digits)
    if n < 10 or n > 15:
        return False
    if n == 11 and (cand.startswith("+7") or (digits[0] == "8" and not cand.startswith("+"))):
        return _zone7(digits[1:])  # +7 / 8: Kazakhstan and Russia, the common case, no parsing
    if n == 10 and not _looks_dialled(cand):
        return False
    if budget is not None and not budget.take():
        return _structural(cand, digits)
    try:
        if cand.startswith("+"):
            num = phonenumbers.parse(cand, None)
        elif n == 11 and digits[0] == "7":
            num = phonenumbers.parse("+" + digits, None)
        elif n == 10:
            num = phonenumbers.parse(cand, "US")
            if not phonenumbers.is_valid_number(num):
                num = phonenumbers.parse(cand, "KZ")
        else:
            return False
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(num)


def _structural(cand: str, digits: str) -> bool:
    if cand.startswith("+"):
        return digits[0] != "0"
    if len(digits) == 10:  # NANP: area and exchange codes start with 2-9
        return digits[0] in "23456789" and digits[3] in "23456789"
    return False


def _zone7(national: str) -> bool:
    """Ten digits after +7/8: Russian 3xx/4xx/8xx/9xx, Kazakh 70x-72x and 74x-77x."""
    return national[0] in "3489" or national[:2] in ("70", "71", "72", "74", "75", "76", "77")


def _looks_dialled(cand: str) -> bool:
    """Ten bare digits are too often other numbers: require phone-style grouping."""
    return "(" in cand or len(re.findall(r"[0-9]+", cand)) >= 3


class IpRecognizer(Recognizer):
    ENTITIES = ("IP_ADDRESS",)

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        if "." in text:
            for m in _IPV4.finditer(text):
                out.append(result("IP_ADDRESS", m.start(), m.end(), 0.9))
        if "::" in text or text.count(":") >= 5:
            for m in _IPV6.finditer(text):
                value = m.group().split("%")[0]
                if len(value) < 6:
                    continue
                try:
                    ipaddress.IPv6Address(value)
                except ValueError:
                    continue
                out.append(result("IP_ADDRESS", m.start(), m.end(), 0.9))
        return out
