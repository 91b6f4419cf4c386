# ruff: noqa: RUF001, RUF002
"""Normalisation before detection, with a map from normalised offsets back to the original.

NFKC (full-width digits, odd spaces, ligatures), format characters dropped (zero-width
spaces and joiners, soft hyphens, bidi controls), dashes unified. A second, same-length view
folds Latin/Cyrillic/Greek homoglyphs so that keys and e-mail addresses typed with look-alike
letters still match. Joining digits split by spaces, dashes or line breaks is done by the
identifier recognizers, which see the separators and validate the joined value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_FORMAT = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"))
_ODD_DASH = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_CONFUSABLE = "аеорсухкіјѕԁӏүһАВЕКМНОРСТХУІЅЈοαινκρτχυΟΑΒΕΖΗΙΚΜΝΡΤΧΥ"
_MIXED = re.compile(f"[A-Za-z0-9_][{_CONFUSABLE}]|[{_CONFUSABLE}][A-Za-z0-9_]")
_HOMOGLYPHS = str.maketrans(
    "аеорсухкіјѕԁӏүһАВЕКМНОРСТХУІЅЈοαινκρτχυΟΑΒΕΖΗΙΚΜΝΡΤΧΥ",
    "aeopcyxkijsdlyhABEKMHOPCTXYISJoaivkptxyOABEZHIKMNPTXY",
)


@dataclass(frozen=True, slots=True)
class Normalized:
    """`text` is what recognizers scan; spans in it map back to `original` with `span()`."""

    original: str
    text: str
    starts: tuple[int, ...] | None  # normalised index -> original index; None means identity
    ends: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised text[start:end]."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold_homoglyphs(text: str) -> str:
    """Latin look-alikes for Cyrillic/Greek letters, only when scripts are mixed in a token
    (`ghр_…`, `іvan@mail.ru`); plain Russian or Kazakh text is returned as it is. Same length."""
    if not _MIXED.search(text):
        return text
    return text.translate(_HOMOGLYPHS)


def _needs_work(text: str) -> bool:
    return bool(_FORMAT.search(text)) or not unicodedata.is_normalized("NFKC", text)


def normalize(text: str) -> Normalized:
    if not _needs_work(text):
        clean = text.translate(_DASHES) if _ODD_DASH.search(text) else text
        return Normalized(text, clean, None, None)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or _FORMAT.match(text, j)):
            j += 1  # a base character with its combining marks is one cluster
        cluster = _FORMAT.sub("", text[i:j])
        piece = unicodedata.normalize("NFKC", cluster) if cluster else ""
        for ch in piece:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    clean = "".join(out).translate(_DASHES)
    return Normalized(text, clean, tuple(starts), tuple(ends))
