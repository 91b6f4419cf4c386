"""Checksums: valid identifiers pass, near misses fail."""

from __future__ import annotations

import pytest

from routing.detection import validators as v


def _with_check(first11: str) -> str:
    check = v.kz_check_digit(first11)
    assert check is not None
    return first11 + str(check)


def test_iin_accepts_date_century_and_check_digit():
    iin = _with_check("90010130100")
    assert v.kz_iin(iin)
    assert not v.kz_iin(iin[:-1] + str((int(iin[-1]) + 1) % 10))


@pytest.mark.parametrize("first11", ["90133130100", "90023030100", "90010170100", "90010100100"])
def test_iin_rejects_impossible_dates_and_century_digits(first11):
    check = v.kz_check_digit(first11)
    assert check is None or not v.kz_iin(first11 + str(check))


def test_iin_check_digit_uses_the_second_weights_when_the_first_pass_gives_10():
    for n in range(10000):
        first11 = f"8504123{n:04d}"
        if sum(int(d) * w for d, w in zip(first11, range(1, 12), strict=True)) % 11 == 10:
            second = (
                sum(
                    int(d) * w
                    for d, w in zip(first11, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)
                )
                % 11
            )
            assert v.kz_check_digit(first11) == (None if second == 10 else second)
            return
    pytest.fail("no first-pass remainder of 10 found")


def test_bin_needs_type_and_attribute_digits():
    bin_ = _with_check("05044000123")
    assert v.kz_bin(bin_)
    assert not v.kz_iin(bin_)
    assert not v.kz_bin(_with_check("05047000123"))


def test_inn_10_and_12():
    assert v.ru_inn("7707083893")
    assert not v.ru_inn("7707083894")
    assert v.ru_inn("500100732259")
    assert not v.ru_inn("500100732258")


def test_snils():
    assert v.ru_snils("11223344595")
    assert not v.ru_snils("11223344596")
    assert not v.ru_snils("00100199800")  # below 001-001-998: no check number


@pytest.mark.parametrize(
    "ssn", ["000123456", "666123456", "900123456", "987654321", "123004567", "123450000"]
)
def test_ssn_rejects_never_issued_numbers(ssn):
    assert not v.us_ssn(ssn)


def test_ssn_accepts_an_ordinary_number():
    assert v.us_ssn("536221234")


@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",
        "5555555555554444",
        "2200000000000004",
        "2221000000000009",
        "2720990000000007",
        "378282246310005",
    ],
)
def test_cards_with_luhn_and_known_prefixes(card):
    assert v.credit_card(card)


def test_cards_fail_luhn_or_unknown_prefix():
    assert not v.credit_card("4111111111111112")
    assert not v.credit_card("9111111111111111")
    assert not v.credit_card("2210000000000000")  # between Mir and Mastercard 2-series


def test_iban_kz_and_others():
    assert v.iban("KZ86125KZT5004100100")
    assert v.iban("DE89370400440532013000")
    assert v.iban("GB29NWBK60161331926819")
    assert not v.iban("KZ87125KZT5004100100")
    assert not v.iban("KZ86125KZT500410010")  # wrong length for KZ
