# ruff: noqa: RUF001, RUF003, S311
"""Deterministic generator of the evaluation corpus (`corpus.jsonl`, committed).

    python -m routing.detection.evaluation.generate   # rewrites corpus.jsonl from SEED

Every record: id, lang (en/ru/kk), kind (positive, person, near_miss, clean, obfuscated),
text, spans ([start, end, ENTITY], the gold labels). Values with checksums are generated
valid; near misses are generated invalid; nothing is tuned to the detector.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pymorphy3

from routing.detection.evaluation import people, values
from routing.detection.evaluation import templates as t

SEED = 20261125
LANGS = ("en", "ru", "kk")
CORPUS = Path(__file__).resolve().parent / "corpus.jsonl"
PER_ENTITY = 36
PER_LANG_PERSON = 150
PER_NEAR_MISS = 12
PER_OBFUSCATED = 60

_morph = pymorphy3.MorphAnalyzer()
Piece = tuple[str, str | None]


def compose(pieces: list[Piece]) -> tuple[str, list[list]]:
    text, spans, pos = [], [], 0
    for chunk, entity in pieces:
        if entity:
            spans.append([pos, pos + len(chunk), entity])
        text.append(chunk)
        pos += len(chunk)
    return "".join(text), spans


def fill(template: str, slots: dict[str, list[Piece]]) -> list[Piece]:
    """Split `template` on `{name}` and splice in each slot's pieces."""
    out: list[Piece] = []
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        if i % 2:
            out.extend(slots[part])
        elif part:
            out.append((part, None))
    return out


def entity_value(entity: str, rng: random.Random, lang: str) -> str:
    makers: dict[str, Callable[[], str]] = {
        "KZ_IIN": lambda: values.kz_iin(rng),
        "KZ_BIN": lambda: values.kz_bin(rng),
        "RU_INN": lambda: values.ru_inn(rng, rng.choice((10, 12))),
        "RU_SNILS": lambda: values.ru_snils(rng),
        "RU_PASSPORT": lambda: values.ru_passport(rng),
        "US_SSN": lambda: values.us_ssn(rng),
        "CREDIT_CARD": lambda: values.credit_card(rng),
        "IBAN_CODE": lambda: values.iban(rng),
        "EMAIL_ADDRESS": lambda: values.email(rng),
        "PHONE_NUMBER": lambda: rng.choice(
            (values.kz_phone, values.kz_phone, values.ru_phone, values.intl_phone)
        )(rng),
        "IP_ADDRESS": lambda: rng.choice((values.ipv4, values.ipv4, values.ipv6))(rng),
        "SECRET": lambda: values.secret(rng),
    }
    return makers[entity]()


def entity_phrase(entity: str, rng: random.Random, lang: str) -> list[Piece]:
    if entity == "SECRET" and rng.random() < 0.3:
        if rng.random() < 0.5:
            phrase = rng.choice(t.PASSWORD_PHRASES[lang])
            return fill(phrase, {"v": [(values.password(rng), "SECRET")]})
        frame = rng.choice(t.URL_FRAMES)
        user = rng.choice(("admin", "deploy", "svc_app"))
        creds = f"{user}:{values.password(rng)}"
        head, tail = frame.split("{user}:{pw}")
        return [(head, None), (creds, "SECRET"), (tail, None)]
    phrase = rng.choice(t.PHRASES[entity][lang])
    return fill(phrase, {"v": [(entity_value(entity, rng, lang), entity)]})


# --- names ---------------------------------------------------------------------------------

_KK_TO_RU = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
_BACK = set("аоұыуяё")
_FRONT = set("әеөүіэи")


def _harmony_back(word: str) -> bool:
    for ch in reversed(word.lower()):
        if ch in _BACK:
            return True
        if ch in _FRONT:
            return False
    return True


def kk_dative(word: str) -> str:
    back = _harmony_back(word)
    last = word[-1].lower()
    if last in "кқпстшфхцч":
        return word + ("қа" if back else "ке")
    return word + ("ға" if back else "ге")


def kk_genitive(word: str) -> str:
    back = _harmony_back(word)
    last = word[-1].lower()
    if last in "аәеоөұүыіэяюиуй" and last not in "уй":
        return word + ("ның" if back else "нің")
    if last in "лрмнңзжуй":
        return word + ("дың" if back else "дің")
    return word + ("тың" if back else "тің")


def kk_surname(root: str, female: bool, rng: random.Random) -> str:
    if rng.random() < 0.15:
        return root + ("қызы" if female else "ұлы")
    stem = (
        root[:-1] + "ев" if root.endswith("й") else root + ("ев" if root[-1] in "жшщчц" else "ов")
    )
    return stem + ("а" if female else "")


def ru_inflect(word: str, case: str, tag: str) -> str:
    for p in _morph.parse(word.lower()):
        if tag in p.tag:
            form = p.inflect({case})
            if form:
                return form.word[:1].upper() + form.word[1:]
    return word


def person_en(rng: random.Random) -> dict[str, str]:
    first = rng.choice(people.EN_FIRST_HELD_OUT if rng.random() < 0.2 else people.EN_FIRST)
    last = rng.choice(people.EN_LAST_HELD_OUT if rng.random() < 0.5 else people.EN_LAST)
    full = (
        f"{first} {rng.choice('ABCDEJKLMRST')}. {last}" if rng.random() < 0.1 else f"{first} {last}"
    )
    return {"P": full, "S": last, "F": first}


def person_ru(rng: random.Random) -> dict[str, str]:
    female = rng.random() < 0.5
    if rng.random() < 0.3:  # a Kazakh name in Russian spelling
        first = rng.choice(people.KK_FEMALE if female else people.KK_MALE)
        first = people.KK_RU_SPELLING.get(first, first).translate(_KK_TO_RU)
        last = kk_surname(rng.choice(people.KK_SURNAME_ROOT), female, random.Random(1)).translate(
            _KK_TO_RU
        )
        patr = rng.choice(people.RU_PATR_FEMALE if female else people.RU_PATR_MALE)
    else:
        first = rng.choice(people.RU_FEMALE if female else people.RU_MALE)
        last = rng.choice(people.RU_SURNAME_MALE) + ("а" if female else "")
        patr = rng.choice(people.RU_PATR_FEMALE if female else people.RU_PATR_MALE)
    style = rng.randrange(5)
    parts = [[first, "Name"], [last, "Surn"]]
    if style == 1:
        parts = [[last, "Surn"], [first, "Name"], [patr, "Patr"]]
    elif style == 2:
        parts = [[first, "Name"], [patr, "Patr"], [last, "Surn"]]
    elif style == 3:
        parts = [[first, "Name"], [patr, "Patr"]]
    out = {"P": " ".join(p for p, _ in parts), "S": last, "F": first}
    for case in ("datv", "gent", "accs", "ablt"):
        out[f"P_{case}"] = " ".join(ru_inflect(p, case, tag) for p, tag in parts)
        out[f"S_{case}"] = ru_inflect(last, case, "Surn")
        out[f"F_{case}"] = ru_inflect(first, case, "Name")
    if style == 4:  # Фамилия И. О.
        initials = f"{first[0]}. {patr[0]}."
        out["P"] = f"{last} {initials}"
        for case in ("datv", "gent", "accs", "ablt"):
            out[f"P_{case}"] = f"{out[f'S_{case}']} {initials}"
    return out


def person_kk(rng: random.Random) -> dict[str, str]:
    female = rng.random() < 0.5
    if rng.random() < 0.15:
        first = rng.choice(people.RU_FEMALE if female else people.RU_MALE)
        last = rng.choice(people.RU_SURNAME_MALE) + ("а" if female else "")
    else:
        first = rng.choice(people.KK_FEMALE if female else people.KK_MALE)
        last = kk_surname(rng.choice(people.KK_SURNAME_ROOT), female, rng)
    father = rng.choice(people.KK_FATHER)
    patr = father + ("қызы" if female else "ұлы")
    style = rng.randrange(4)
    parts = [first, last]
    if style == 1:
        parts = [first, patr]
    elif style == 2:
        parts = [last, first]
    elif style == 3:
        parts = [first, last, patr]
    full = " ".join(parts)
    return {
        "P": full,
        "S": last,
        "F": first,
        "P_dat": " ".join([*parts[:-1], kk_dative(parts[-1])]),
        "P_gen": " ".join([*parts[:-1], kk_genitive(parts[-1])]),
        "F_dat": kk_dative(first),
    }


_PERSON = {"en": person_en, "ru": person_ru, "kk": person_kk}


def person_record(rng: random.Random, lang: str) -> list[Piece]:
    frame = rng.choice(t.PERSON_FRAMES[lang])
    one, two = _PERSON[lang](rng), _PERSON[lang](rng)
    slots: dict[str, list[Piece]] = {}
    for name in re.findall(r"\{(\w+)\}", frame):
        source, key = (two, name.replace("P2", "P")) if name.startswith("P2") else (one, name)
        slots[name] = [(source[key], "PERSON")]
    return fill(frame, slots)


# --- obfuscation ---------------------------------------------------------------------------

_ZW = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff")
_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}


def fullwidth(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in value)


def zero_width(value: str, rng: random.Random) -> str:
    chars = list(value)
    for _ in range(rng.randint(1, 3)):
        chars.insert(rng.randint(1, len(chars) - 1), rng.choice(_ZW))
    return "".join(chars)


def regroup(value: str, rng: random.Random) -> str:
    digits = re.sub(r"\D", "", value)
    sep = rng.choice((" ", "-", ".", "\n", "\u00a0", " - "))
    out, i = [], 0
    while i < len(digits):
        n = rng.randint(2, 5)
        out.append(digits[i : i + n])
        i += n
    return sep.join(out)


def homoglyphs(value: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(value) if c in _HOMOGLYPH]
    chars = list(value)
    for i in rng.sample(positions, min(len(positions), rng.randint(1, 3))):
        chars[i] = _HOMOGLYPH[chars[i]]
    return "".join(chars)


def spelled_email(value: str, rng: random.Random) -> str:
    local, domain = value.split("@")
    style = rng.randrange(3)
    if style == 0:
        return f"{local} at {domain.replace('.', ' dot ')}"
    if style == 1:
        return f"{local}[at]{domain}"
    return f"{local} (at) {domain.replace('.', ' (dot) ')}"


def obfuscated_record(rng: random.Random, lang: str) -> list[Piece]:
    entity = rng.choice(
        (
            "KZ_IIN",
            "CREDIT_CARD",
            "IBAN_CODE",
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "SECRET",
            "KZ_BIN",
            "RU_SNILS",
        )
    )
    value = entity_value(entity, rng, lang)
    if entity == "SECRET":
        while value.startswith("-----"):
            value = entity_value(entity, rng, lang)
        value = homoglyphs(value, rng) if rng.random() < 0.5 else zero_width(value, rng)
    elif entity == "EMAIL_ADDRESS":
        value = rng.choice((spelled_email, homoglyphs, zero_width))(value, rng)
    elif entity == "IBAN_CODE":
        value = rng.choice(
            (
                lambda v, r: v.lower(),
                zero_width,
                lambda v, r: " ".join(
                    v.replace(" ", "")[i : i + 4] for i in range(0, len(v.replace(" ", "")), 4)
                ).lower(),
            )
        )(value, rng)
    elif entity == "PHONE_NUMBER":
        value = rng.choice((lambda v, r: fullwidth(v), zero_width))(value, rng)
    else:
        value = rng.choice((lambda v, r: fullwidth(v), zero_width, regroup, regroup))(value, rng)
    phrase = rng.choice(t.PHRASES[entity][lang])
    return fill(rng.choice(t.FRAMES[lang]), {"X": fill(phrase, {"v": [(value, entity)]})})


# --- corpus --------------------------------------------------------------------------------

ENTITIES = (
    "KZ_IIN",
    "KZ_BIN",
    "RU_INN",
    "RU_SNILS",
    "RU_PASSPORT",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "SECRET",
)
NEAR_MISS = {
    "iin": values.near_miss_iin,
    "number": values.near_miss_iin,
    "card": values.near_miss_card,
    "iban": values.near_miss_iban,
    "inn": values.near_miss_inn,
    "snils": values.near_miss_snils,
    "ssn_invalid": lambda rng: (
        f"{rng.choice((0, 666, 900, 987))}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}".zfill(
            11
        )
    ),
}


def build() -> list[dict]:
    rng = random.Random(SEED)
    records: list[dict] = []

    def add(lang: str, kind: str, pieces: list[Piece]) -> None:
        text, spans = compose(pieces)
        records.append(
            {"id": len(records) + 1, "lang": lang, "kind": kind, "text": text, "spans": spans}
        )

    for lang in LANGS:
        for entity in ENTITIES:
            for _ in range(PER_ENTITY):
                x = entity_phrase(entity, rng, lang)
                if rng.random() < 0.25:
                    other = rng.choice([e for e in ENTITIES if e != entity])
                    x = [*x, (", ", None), *entity_phrase(other, rng, lang)]
                add(lang, "positive", fill(rng.choice(t.FRAMES[lang]), {"X": x}))
        for _ in range(PER_LANG_PERSON):
            add(lang, "person", person_record(rng, lang))
        for kind, make in NEAR_MISS.items():
            for _ in range(PER_NEAR_MISS):
                phrase = t.NEAR_MISS_PHRASES[kind][lang].replace("{v}", make(rng))
                add(lang, "near_miss", fill(rng.choice(t.FRAMES[lang]), {"X": [(phrase, None)]}))
        clean = t.CLEAN[lang]
        for sentence in clean + t.CLEAN_HARD[lang]:
            add(lang, "clean", [(sentence, None)])
        for _ in range(len(clean)):
            add(lang, "clean", [(" ".join(rng.sample(clean, 2)), None)])
        for _ in range(PER_OBFUSCATED):
            add(lang, "obfuscated", obfuscated_record(rng, lang))
    return records


def main() -> None:
    records = build()
    with CORPUS.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
