# ruff: noqa: RUF001, RUF003
"""Word lists and per-word classification for PERSON (English, Russian, Kazakh).

Sources: US Census 1990 name lists (public domain), a hand-curated list of Kazakh and
Russian given names, pymorphy3's OpenCorpora dictionary (Name/Surn/Patr tags, known words
only: its guesses for unknown Kazakh words are noise), and surname/patronymic endings.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pymorphy3

DATA = Path(__file__).resolve().parent.parent / "data"

FIRST = 1  # a given name
SURNAME = 2  # a surname (list or ending)
PATR = 4  # a patronymic (-ович, -овна, -ұлы, -қызы)
STOP = 8  # never part of a name (places, organisations, greetings, months, ...)
AMBIG = 16  # a name that is also a common word (Will, May, Вера, Надежда)
STRONG = 32  # surname evidence strong on its own (distinctive ending, dictionary Surn)


def _load(name: str) -> frozenset[str]:
    words: set[str] = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        words.update(line.split())
    return frozenset(words)


EN_FIRST = _load("en_first.txt")
EN_LAST = _load("en_last.txt")
KR_FIRST = _load("kk_ru_first.txt")
STOPWORDS = _load("stopwords.txt")
AMBIGUOUS = _load("ambiguous.txt")

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]")
_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]")
_KK_CASE = (
    "ның",
    "нің",
    "дың",
    "дің",
    "тың",
    "тің",
    "ға",
    "ге",
    "қа",
    "ке",
    "на",
    "не",
    "да",
    "де",
    "та",
    "те",
    "дан",
    "ден",
    "тан",
    "тен",
    "нан",
    "нен",
    "ны",
    "ні",
    "ды",
    "ді",
    "ты",
    "ті",
    "мен",
    "бен",
    "пен",
    "ымен",
    "імен",
    "сы",
    "сі",
    "ы",
    "і",
)
_PATR = re.compile(
    r"\w{2,}(?:(?:ович|евич|ьич|ична|овна|евна|инична)(?:а|у|ем|ом|е|ой|ы|ну|не|ной)?"
    r"|(?:ұлы|қызы|улы|кызы)(?:" + "|".join(_KK_CASE) + r")?"
    r"|(?:uly|kyzy|ovich|evich|ovna|evna))$"
)
_SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ова|ева|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ской|енко|бек|беков|бекова|"
    r"баев|баева|бай|баев)(?:а|у|ым|ой|е|ом|ых|ым|ою|ым|ого|ому|ой|ую)?$"
)
_SURNAME_END_KK = re.compile(
    r"(?:ов|ев|ова|ева|ин|ина|бек|баев|бекова)(?:" + "|".join(_KK_CASE) + ")$"
)
_LATIN_SURNAME_END = re.compile(
    r"(?:ov|ova|ev|eva|yev|yeva|enko|sky|skaya|bekov|bayev|baeva|uly|kyzy)$"
)
_RU_CASE = ("у", "ю", "ом", "ем", "ой", "ей", "а", "я", "е", "ы", "и")

_morph = pymorphy3.MorphAnalyzer()


def _kr_first(low: str) -> bool:
    if low in KR_FIRST:
        return True
    for suffix in _KK_CASE:
        if low.endswith(suffix) and low[: -len(suffix)] in KR_FIRST:
            return True
    for suffix in _RU_CASE:
        if low.endswith(suffix):
            stem = low[: -len(suffix)]
            if stem in KR_FIRST or stem + "ь" in KR_FIRST or stem + "а" in KR_FIRST:
                return True
    return False


def _inflected_stopword(low: str) -> bool:
    for suffix in _KK_CASE + _RU_CASE:
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = low[: -len(suffix)]
            if stem in STOPWORDS or stem + "а" in STOPWORDS or stem + "ь" in STOPWORDS:
                return True
    return False


def _morph_flags(low: str) -> int:
    flags = 0
    parses = _morph.parse(low)[:4]
    top = parses[0].tag
    named = any(t in p.tag for p in parses for t in ("Name", "Surn", "Patr"))
    if not named and ("Geox" in top or "Orgn" in top or "Trad" in top):
        return STOP
    if any("Geox" in p.tag or "Orgn" in p.tag for p in parses):
        flags |= AMBIG  # a place or organisation as well as a name
    if top.POS not in ("NOUN", None) and not named:
        return STOP  # a verb, adjective, adverb, ... that is never a name
    for p in parses:
        tag = p.tag
        if "Name" in tag:
            flags |= FIRST
            if "Name" not in top:
                flags |= AMBIG
        elif "Surn" in tag:
            flags |= SURNAME | (STRONG if "Surn" in top else 0)
        elif "Patr" in tag:
            flags |= PATR
    return flags


@functools.lru_cache(maxsize=65536)
def classify(token: str) -> int:
    """Flags for one capitalised token (initials are handled by the caller)."""
    low = token.lower().replace("’", "'")
    if low in STOPWORDS:
        return STOP
    if "-" in low:
        parts = [classify(p) for p in token.split("-") if p]
        if any(f & STOP for f in parts):
            return STOP
        combined = 0
        for f in parts:
            combined |= f
        return combined & ~AMBIG if all(f & (FIRST | SURNAME) for f in parts) else combined
    flags = AMBIG if low in AMBIGUOUS else 0
    if _CYRILLIC.search(low):
        if _inflected_stopword(low):
            return STOP  # "Берлинге", "Астанада": a place with a case ending
        if _kr_first(low):
            flags |= FIRST
        if _PATR.search(low):
            return flags | PATR
        known = not _KAZAKH_LETTERS.search(low) and _morph.word_is_known(low)
        if known:
            flags |= _morph_flags(low)
        elif _SURNAME_END.search(low) or _SURNAME_END_KK.search(low):
            flags |= SURNAME | STRONG
        if flags & STOP:
            return STOP
        return flags
    if low in EN_FIRST:
        flags |= FIRST
    if low in EN_LAST:
        flags |= SURNAME | (0 if flags & AMBIG else STRONG)
    if _LATIN_SURNAME_END.search(low) and len(low) > 4:
        flags |= SURNAME | STRONG
    if _PATR.search(low):
        flags |= PATR
    return flags
