# ruff: noqa: RUF001, RUF003
"""Word lists and per-word classification for PERSON (English, Russian, Kazakh).

Sources: US Census 1990 name lists (public domain), a hand-curated list of Kazakh and
Russian given names, pymorphy3's OpenCorpora dictionary (Name/Surn/Patr tags, known words
only: its guesses for unknown Kazakh words are noise), and surname/patronymic endings.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import pymorphy3

DATA = Path(__file__).resolve().parent.parent / "data"

FIRST = 1  # a given name
SURNAME = 2  # a surname (list or ending)
PATR = 4  # a patronymic (-ович, -овна, -ұлы, -қызы)
STOP = 8  # never part of a name (places, organisations, greetings, months, ...)
AMBIG = 16  # a name that is also a common word (Will, May, Вера, Надежда)
STRONG = 32  # surname evidence strong on its own (distinctive ending, dictionary Surn)
SHAPE = 64  # shaped like a Kazakh given name (compound element such as -жан, -бек, -гүл)
COMMON = 128  # a Russian given name that is an everyday word (Вера, Надежда, Мир, Лев)
LISTED = 256  # a Cyrillic given name from our own list (not only a dictionary guess)


def _load(name: str) -> frozenset[str]:
    words: set[str] = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        words.update(line.split())
    return frozenset(words)


EN_FIRST = _load("en_first.txt") | _load("latin_first_extra.txt")
EN_LAST = _load("en_last.txt")
KR_FIRST = _load("kk_ru_first.txt") | _load("kk_ru_first_extra.txt")
STOPWORDS = _load("stopwords.txt")
AMBIGUOUS = _load("ambiguous.txt")

RU_COMMON_NAMES = frozenset(
    ("вера", "надежда", "любовь", "роза", "слава", "мир", "лев", "лилия", "майя", "роман")
)

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
_BEK_GIVEN = re.compile(r"\w{2,}бек(?:" + "|".join(_KK_CASE) + r"|а|у|ом|е)?$")
_LATIN_SURNAME_END = re.compile(
    r"(?:ov|ova|ev|eva|yev|yeva|enko|sky|skaya|bekov|bayev|baeva|uly|kyzy)$"
)
_RU_CASE = ("у", "ю", "ом", "ем", "ой", "ей", "а", "я", "е", "ы", "и")

# Kazakh given names are mostly compounds of a few productive elements (hand-written for Kordon
# from Kazakh word formation, not from any name list): Ғалым+жан, Абылай+хан, Гүл+нұр, Ел+дос.
# A capitalised word built on one of them is a likely given name; words listed in
# _KK_SHAPE_NOT are ordinary words with the same ending (еңбек "labour", футбол, ...).
_KK_SHAPE_END = re.compile(
    r"\w{2,}(?:жан|гүл|гуль|бек|бай|хан|ғали|қали|нұр|нур|бол|болат|тай|сұлтан|мұрат|ғазы|"
    r"қазы|дос|ерке|назар|бике|сұлу|айым|берді|құл|жар|дәулет|наз|зат|ғұл|жамал|мира|сая|"
    r"ләйлә|әлі|ахмет|мұхаммед|ғабдолла|ділда|бала|арай)$"
)
_KK_SHAPE_START = re.compile(r"(?:нұр|гүл|сұлтан|ақ|ер|бек|жан)\w{3,}$")
_KK_SHAPE_NOT = frozenset(
    str.split(
        "еңбек жібек тірек жүрек зейнетақы футбол волейбол баскетбол гандбол хоккейбол қытай "
        "тамақ ақпарат ақпан ақша ақылы айып айлық айына жанұя ерекше ережесі ережелер елорда "
        "бектер бекет бекіту бекітілді елші елшілік айналым айдар айналу ақсақал ақын ақау "
        "ерте ертең ерік еркін елтаңба елді ақтау ақсай ақтөбе ақмола ақкөл айтеке ақжайық "
        "азамат заттар қазақ хабар жарнама жарлық жарғы бағдарлама назар алтай ақорда елбасы "
        "ерлік ақылды ақпараттық ақшалай бекзада жанкүйер жанармай ерікті нұрлы гүлдер"
    )
)


def _fold_latin(low: str) -> str:
    """ "fernández" -> "fernandez", "sørensen" -> "sorensen": list lookups for accented Latin."""
    low = low.translate(_LATIN_EXTRA)
    return "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))


_LATIN_EXTRA = str.maketrans(
    {"ø": "o", "ı": "i", "ł": "l", "đ": "d", "æ": "ae", "ß": "ss", "œ": "oe"}
)


def kk_shaped(low: str) -> bool:
    """A Cyrillic word (case ending allowed) built like a Kazakh given name."""
    stems = _stems(low)
    if any(stem in _KK_SHAPE_NOT for stem in stems):
        return False  # "Ақшаны" is "ақша" (money) with a case ending
    return any(
        len(stem) >= 4 and (_KK_SHAPE_END.match(stem) or _KK_SHAPE_START.match(stem))
        for stem in stems
    )


def _stems(low: str) -> list[str]:
    stems = [low]
    for suffix in _KK_CASE:
        if low.endswith(suffix) and len(low) - len(suffix) >= 4:
            stems.append(low[: -len(suffix)])
    return stems


_morph = pymorphy3.MorphAnalyzer()


def _kr_first(low: str) -> str | None:
    """The listed given name behind a (possibly inflected) Cyrillic word, or None."""
    if low in KR_FIRST:
        return low
    for suffix in _KK_CASE:
        if low.endswith(suffix) and low[: -len(suffix)] in KR_FIRST:
            return low[: -len(suffix)]
    for suffix in _RU_CASE:
        if low.endswith(suffix):
            stem = low[: -len(suffix)]
            for base in (stem, stem + "ь", stem + "а", stem + "я", stem + "й"):
                if len(base) >= 3 and base in KR_FIRST:
                    return base
    return None


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
        if "банк" in low:
            return STOP  # Сбербанк, Совкомбанка, Газпромбанком: a bank, never a person
        if _inflected_stopword(low):
            return STOP  # "Берлинге", "Астанада": a place with a case ending
        base = _kr_first(low)
        if base:
            flags |= FIRST | LISTED | (AMBIG if base in AMBIGUOUS else 0)
            flags |= COMMON if base in RU_COMMON_NAMES else 0
        if _PATR.search(low):
            return flags | PATR
        known = not _KAZAKH_LETTERS.search(low) and _morph.word_is_known(low)
        if known:
            flags |= _morph_flags(low)
        elif _SURNAME_END.search(low) or _SURNAME_END_KK.search(low):
            flags |= SURNAME | STRONG
            if _BEK_GIVEN.search(low):
                flags |= FIRST  # Айбек, Жандарбек: "-бек" ends given names, "-беков" surnames
        if flags & STOP:
            return STOP
        if not flags & (FIRST | SURNAME) and kk_shaped(low):
            flags |= FIRST | AMBIG | SHAPE
        return flags
    low = _fold_latin(low)
    if low in STOPWORDS:
        return STOP
    if low in EN_FIRST:
        flags |= FIRST
    if low in EN_LAST:
        flags |= SURNAME | (0 if flags & AMBIG else STRONG)
    if _LATIN_SURNAME_END.search(low) and len(low) > 4:
        flags |= SURNAME | STRONG
    if _PATR.search(low):
        flags |= PATR
    return flags


def lowercase_given(word: str) -> bool:
    """A lower-case chat word that is a given name ("tom", "маша", "диме", "артём")."""
    if len(word) < 3:
        return False
    low = word.lower()
    flags = classify(word[0].upper() + word[1:])
    if flags & STOP or not flags & FIRST or flags & COMMON:
        return False
    if _CYRILLIC.search(low):
        base = _kr_first(low)
        if base:
            return base not in AMBIGUOUS  # "бұл арман" (this is a dream) is not a name
        if flags & SHAPE:
            return True
        return "Name" in _morph.parse(low)[0].tag  # "лена": a name first, the river second
    return not flags & AMBIG  # "will", "grace" in English chat are words


_PARTICLE_SURNAME = re.compile(r"(?:o|d|de|di|da|mc|mac)['’]\w{2,}")


def lowercase_surname(word: str) -> bool:
    if _PARTICLE_SURNAME.fullmatch(word):
        return True  # "d'angelo", "o'neill"
    flags = classify(word[0].upper() + word[1:])
    return bool(flags & (SURNAME | PATR)) and not flags & STOP


def kk_case_inflected(low: str) -> bool:
    """A Kazakh personal case ending on a listed or name-shaped word: Арманға, Абылайханның."""
    return any(
        low.endswith(suffix) and (low[: -len(suffix)] in KR_FIRST or kk_shaped(low))
        for suffix in (
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
            "мен",
            "бен",
            "пен",
            "ды",
            "ді",
            "ты",
            "ті",
            "ны",
            "ні",
        )
        if len(low) - len(suffix) >= 3
    )
