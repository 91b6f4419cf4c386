# ruff: noqa: RUF001
"""Context words (English, Russian, Kazakh) and a bounded-window lookup around a match.

Lookups scan a fixed window of the lower-cased text before and after a match, so the cost
per match is constant and the whole pass stays linear in the length of the text.
"""

from __future__ import annotations

import re

BEFORE = 64
AFTER = 24


def words(*alternatives: str) -> re.Pattern[str]:
    """A case-insensitive regex matching any of the words at a word start (prefix match)."""
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


KZ_IIN = words(
    r"иин\b",
    r"жсн\b",
    r"iin\b",
    r"индивидуальн\w* идентификац",
    r"жеке сәйкестенд",
    r"individual identification",
)
KZ_BIN = words(
    r"бин\b",
    r"бсн\b",
    r"bin\b",
    r"бизнес[- ]идентификац",
    r"бизнес-сәйкестенд",
    r"business identification",
)
RU_INN = words(
    r"инн\b",
    r"inn\b",
    r"стн\b",
    r"налогоплательщик",
    r"taxpayer",
    r"tax id",
    r"tin\b",
    r"салық төлеуш",
)
RU_SNILS = words(
    r"снилс", r"snils", r"страхов\w* номер", r"пенсионн", r"insurance number", r"зейнетақы"
)
RU_PASSPORT = words(
    r"паспорт", r"passport", r"серия", r"series", r"төлқұжат", r"паспорттың", r"выдан", r"ұсынған"
)
US_SSN = words(r"ssn\b", r"social security", r"soc\.? sec", r"ss#", r"ssa\b")
CREDIT_CARD = words(
    r"card",
    r"карт",
    r"visa",
    r"master\s?card",
    r"мир\b",
    r"mir\b",
    r"amex",
    r"кредит",
    r"дебет",
    r"credit",
    r"debit",
    r"pan\b",
)
IBAN_CODE = words(r"iban", r"иban", r"сч[её]т", r"шот", r"account", r"р/с", r"банк", r"bank")
PHONE = words(
    r"тел",
    r"phone",
    r"mobile",
    r"моб",
    r"call",
    r"звон",
    r"whatsapp",
    r"telegram",
    r"ұял",
    r"номер",
)
SECRET = words(
    r"key",
    r"token",
    r"secret",
    r"api",
    r"bearer",
    r"auth",
    r"credential",
    r"password",
    r"pwd",
    r"ключ",
    r"токен",
    r"секрет",
    r"пароль",
    r"кілт",
    r"құпия",
)


def near(lower: str, start: int, end: int, pattern: re.Pattern[str]) -> bool:
    """True when `pattern` occurs within the window around [start, end)."""
    return bool(
        pattern.search(lower, max(0, start - BEFORE), start)
        or pattern.search(lower, end, min(len(lower), end + AFTER))
    )
