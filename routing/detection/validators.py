"""Checksums and structural checks for identifiers. Pure functions over digit strings."""

from __future__ import annotations

import datetime as dt

_IIN_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_IIN_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def kz_check_digit(first11: str) -> int | None:
    """The IIN/BIN check digit (two-pass mod 11); None when the number can never be issued."""
    digits = [int(c) for c in first11]
    check = sum(d * w for d, w in zip(digits, _IIN_W1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _IIN_W2, strict=True)) % 11
        if check == 10:
            return None
    return check


def _valid_date(yy: int, mm: int, dd: int, century: int) -> bool:
    try:
        dt.date(century + yy, mm, dd)
    except ValueError:
        return False
    return True


def kz_iin(digits: str) -> bool:
    """12 digits `YYMMDD C NNNN K`: a real date, century/sex digit 1-6, check digit."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    c = int(digits[6])
    if c < 1 or c > 6:
        return False
    century = (1800, 1900, 2000)[(c - 1) // 2]
    if not _valid_date(int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), century):
        return False
    return kz_check_digit(digits[:11]) == int(digits[11])


def kz_bin(digits: str) -> bool:
    """12 digits `YYMM T A NNNNN K`: month 1-12, type 4-6, attribute 0-3, check digit."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    if not 1 <= int(digits[2:4]) <= 12 or digits[4] not in "456" or digits[5] not in "0123":
        return False
    return kz_check_digit(digits[:11]) == int(digits[11])


def ru_inn(digits: str) -> bool:
    """Russian INN: 10 digits (one check digit) or 12 digits (two)."""
    if not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    if len(d) == 10:
        return sum(a * b for a, b in zip(d, _INN10_W, strict=False)) % 11 % 10 == d[9]
    if len(d) == 12:
        c1 = sum(a * b for a, b in zip(d, _INN12_W1, strict=False)) % 11 % 10
        c2 = sum(a * b for a, b in zip(d, _INN12_W2, strict=False)) % 11 % 10
        return c1 == d[10] and c2 == d[11]
    return False


def ru_snils(digits: str) -> bool:
    """SNILS: 11 digits, check number over the first nine (only above 001-001-998)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    if int(digits[:9]) <= 1001998:
        return False
    s = sum(int(c) * w for c, w in zip(digits[:9], range(9, 0, -1), strict=True))
    if s > 101:
        s %= 101
    check = 0 if s in (100, 101) else s
    return check == int(digits[9:])


def us_ssn(digits: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
        return False
    return digits not in ("123456789", "078051120", "219099999")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand_ok(digits: str) -> bool:
    """Known issuer prefixes and lengths (Visa, Mastercard incl. 2-series, Mir, Amex, ...)."""
    n = len(digits)
    if not 13 <= n <= 19 or not digits.isdigit():
        return False
    p2, p4, p6 = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if 2200 <= p4 <= 2204:
        return 16 <= n <= 19
    if p2 in (34, 37):
        return n == 15
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19
    if p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= p6 <= 622925:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if p2 == 62:
        return 16 <= n <= 19
    if p2 in (50, 56, 57, 58, 63, 67, 60):
        return 12 <= n <= 19
    return False


def credit_card(digits: str) -> bool:
    return card_brand_ok(digits) and luhn(digits) and len(set(digits)) > 1


# ISO 13616 lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban(compact: str) -> bool:
    """Upper-case, no spaces: country length and mod-97 == 1."""
    if len(compact) < 15 or IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    if not compact[2:4].isdigit() or not compact.isalnum() or not compact.isascii():
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1
