"""Generators of checksum-valid values and of near misses, driven by a seeded `random.Random`."""

from __future__ import annotations

import random
import string

from routing.detection import validators


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def kz_iin(rng: random.Random) -> str:
    while True:
        year = rng.randint(1940, 2015)
        c = rng.choice((3, 4)) if year < 2000 else rng.choice((5, 6))
        body = (
            f"{year % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{c}{_digits(rng, 4)}"
        )
        check = validators.kz_check_digit(body)
        if check is not None:
            return body + str(check)


def kz_bin(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(0, 24):02d}{rng.randint(1, 12):02d}{rng.choice('456')}{rng.choice('0123')}{_digits(rng, 5)}"
        check = validators.kz_check_digit(body)
        if check is not None:
            return body + str(check)


def ru_inn(rng: random.Random, length: int) -> str:
    while True:
        value = _digits(rng, length)
        if value[0] != "0" and validators.ru_inn(value):
            return value


def ru_snils(rng: random.Random) -> str:
    while True:
        value = _digits(rng, 11)
        if validators.ru_snils(value):
            return f"{value[:3]}-{value[3:6]}-{value[6:9]} {value[9:]}"


def ru_passport(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)} {rng.randint(0, 99):02d} {rng.randint(100000, 999999)}"


def us_ssn(rng: random.Random) -> str:
    while True:
        value = f"{rng.randint(1, 899):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if validators.us_ssn(value):
            return f"{value[:3]}-{value[3:5]}-{value[5:]}"


_CARD_PREFIXES = (
    "4",
    "51",
    "53",
    "55",
    "2200",
    "2201",
    "2202",
    "2204",
    "2221",
    "2500",
    "2720",
    "37",
    "6011",
)


def credit_card(rng: random.Random) -> str:
    prefix = rng.choice(_CARD_PREFIXES)
    length = 15 if prefix == "37" else 16
    while True:
        value = prefix + _digits(rng, length - len(prefix))
        if validators.credit_card(value):
            break
    if length == 15:
        return f"{value[:4]} {value[4:10]} {value[10:]}"
    sep = rng.choice((" ", " ", "-", ""))
    return sep.join(value[i : i + 4] for i in range(0, 16, 4))


_IBAN_COUNTRIES = ("KZ", "KZ", "KZ", "DE", "GB", "FR", "RU", "TR", "AE", "NL", "CH", "GE")


def iban(rng: random.Random, country: str | None = None) -> str:
    cc = country or rng.choice(_IBAN_COUNTRIES)
    length = validators.IBAN_LENGTHS[cc]
    if cc == "KZ":
        bban = _digits(rng, 3) + "".join(rng.choice(string.digits + "ABCDKTZ") for _ in range(13))
    elif cc == "GB":
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + _digits(rng, 14)
    else:
        bban = _digits(rng, length - 4)
    for check in range(2, 99):
        value = f"{cc}{check:02d}{bban}"
        if validators.iban(value):
            break
    spaced = rng.random() < 0.4
    if spaced:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def near_miss_iin(rng: random.Random) -> str:
    while True:
        value = _digits(rng, 12)
        if not (validators.kz_iin(value) or validators.kz_bin(value) or validators.ru_inn(value)):
            return value


def near_miss_card(rng: random.Random) -> str:
    while True:
        value = rng.choice(("4", "5", "2")) + _digits(rng, 15)
        if not validators.luhn(value):
            return " ".join(value[i : i + 4] for i in range(0, 16, 4))


def near_miss_iban(rng: random.Random) -> str:
    value = iban(rng, "KZ").replace(" ", "")
    bad = (int(value[2:4]) + rng.randint(1, 9)) % 97 + 2
    candidate = f"{value[:2]}{bad:02d}{value[4:]}"
    return (
        candidate if not validators.iban(candidate) else value[:-1] + str((int(value[-1]) + 1) % 10)
    )


def near_miss_inn(rng: random.Random) -> str:
    while True:
        value = _digits(rng, 10)
        if not validators.ru_inn(value):
            return value


def near_miss_snils(rng: random.Random) -> str:
    while True:
        value = _digits(rng, 11)
        if not validators.ru_snils(value) and int(value[:9]) > 1001998:
            return f"{value[:3]}-{value[3:6]}-{value[6:9]} {value[9:]}"


def kz_phone(rng: random.Random) -> str:
    code = rng.choice(
        ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")
    )
    rest = _digits(rng, 7)
    return rng.choice(
        (
            f"+7 {code} {rest[:3]} {rest[3:5]} {rest[5:]}",
            f"8 {code} {rest[:3]} {rest[3:5]} {rest[5:]}",
            f"+7 ({code}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
            f"8({code}){rest}",
            f"+7{code}{rest}",
        )
    )


def ru_phone(rng: random.Random) -> str:
    code = rng.choice(("903", "905", "915", "916", "925", "926", "985", "495", "812"))
    rest = _digits(rng, 7)
    return rng.choice(
        (
            f"+7 {code} {rest[:3]}-{rest[3:5]}-{rest[5:]}",
            f"8 ({code}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
        )
    )


def intl_phone(rng: random.Random) -> str:
    return rng.choice(
        (
            f"+1 ({rng.choice(('212', '415', '646', '312', '617'))}) {rng.randint(201, 989)}-{_digits(rng, 4)}",
            f"+44 20 {rng.randint(7000, 8999)} {_digits(rng, 4)}",
            f"+49 30 {_digits(rng, 8)}",
            f"+998 90 {_digits(rng, 3)} {_digits(rng, 2)} {_digits(rng, 2)}",
        )
    )


_FIRST_LOCAL = (
    "anna",
    "ivan.petrov",
    "a.zhumabayev",
    "john.smith",
    "m.ivanova",
    "support",
    "hr-team",
    "d.sarsenbayev",
    "k.omarova",
    "billing",
    "olzhas88",
    "aigerim.n",
)
_DOMAINS = (
    "gmail.com",
    "mail.ru",
    "yandex.kz",
    "example.com",
    "company.kz",
    "bank.kz",
    "outlook.com",
    "inbox.ru",
    "corp.example.org",
)


def email(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST_LOCAL)}{rng.choice(('', '', str(rng.randint(1, 99))))}@{rng.choice(_DOMAINS)}"


def ipv4(rng: random.Random) -> str:
    first = rng.choice((10, 172, 192, 85, 195, 37, 46, 213))
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:3])
    return ":".join(groups)


def _token(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def secret(rng: random.Random) -> str:
    kind = rng.randrange(11)
    if kind == 0:
        return "AKIA" + _token(rng, 16, string.ascii_uppercase + "234567")
    if kind == 1:
        return "ghp_" + _token(rng, 36)
    if kind == 2:
        return "glpat-" + _token(rng, 20)
    if kind == 3:
        return "xoxb-" + _digits(rng, 12) + "-" + _digits(rng, 12) + "-" + _token(rng, 24)
    if kind == 4:
        return "sk_live_" + _token(rng, 24)
    if kind == 5:
        return "AIza" + _token(rng, 35, string.ascii_letters + string.digits + "_-")
    if kind == 6:
        return "sk-proj-" + _token(rng, 48, string.ascii_letters + string.digits + "_-")
    if kind == 7:
        return "sk-ant-api03-" + _token(rng, 40, string.ascii_letters + string.digits + "_-")
    if kind == 8:
        return (
            "eyJhbGciOiJIUzI1NiJ9.eyJ"
            + _token(rng, 30, string.ascii_letters + string.digits + "_-")
            + "."
            + _token(rng, 43, string.ascii_letters + string.digits + "_-")
        )
    if kind == 9:
        return "sk-" + _token(rng, 48)
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(_token(rng, 64, string.ascii_letters + string.digits + "+/") for _ in range(3))
        + "\n-----END RSA PRIVATE KEY-----"
    )


def password(rng: random.Random) -> str:
    return (
        rng.choice(("Qwerty", "Almaty", "Summer", "Parol", "Secret", "Astana"))
        + str(rng.randint(10, 2030))
        + rng.choice(("!", "#", "", "$"))
    )
