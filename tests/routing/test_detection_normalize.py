# ruff: noqa: RUF001
"""Normalisation: obfuscated values are found, and spans point into the ORIGINAL text."""

from __future__ import annotations

import pytest

from routing.detection import get_detector
from routing.detection.normalize import fold_homoglyphs, normalize

IIN = "900101301005"


def _fullwidth(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in value)


def _only(text: str) -> tuple[str, str]:
    findings = get_detector().detect(text)
    assert len(findings) == 1, findings
    return findings[0].entity, text[findings[0].start : findings[0].end]


def test_normalize_maps_offsets_back_after_removed_and_expanded_characters():
    text = "a\u200bb ﬁ " + _fullwidth("12")
    norm = normalize(text)
    assert norm.text == "ab fi 12"
    start = norm.text.index("12")
    assert norm.span(start, start + 2) == (len(text) - 2, len(text))
    assert norm.span(0, 2) == (0, 3)


def test_plain_text_is_not_copied_or_remapped():
    norm = normalize("Обычный текст без сюрпризов.")
    assert norm.starts is None
    assert norm.span(3, 7) == (3, 7)


@pytest.mark.parametrize(
    "value",
    [
        _fullwidth(IIN),
        "9001\u200b0130\u200d1005",
        "900101 301005",
        "9001-0130-1005",
        "900.101.301.005",
        "900101\n301005",
        "9001\u00a00130\u00a01005",
    ],
)
def test_obfuscated_iin_is_found_with_its_original_span(value):
    assert _only(f"ЖСН: {value} — тексеріңіз") == ("KZ_IIN", value)


@pytest.mark.parametrize(
    "value",
    [
        "ivan.petrov at mail dot ru",
        "ivan.petrov[at]mail.ru",
        "ivan (at) mail (dot) ru",
        "іvаn.petrov@mаil.ru",
    ],
)
def test_obfuscated_emails(value):
    assert _only(f"Write to {value} please") == ("EMAIL_ADDRESS", value)


def test_look_at_a_site_is_not_an_email():
    assert get_detector().detect("Please look at example.com before the call") == []


def test_key_with_a_cyrillic_homoglyph_is_found():
    key = "ghр_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    assert _only(f"use {key} for CI") == ("SECRET", key)


def test_folding_leaves_plain_cyrillic_alone():
    assert fold_homoglyphs("Привет, мир") == "Привет, мир"
    assert fold_homoglyphs("ghр_x") == "ghp_x"


def test_offsets_survive_random_format_characters_and_decomposed_letters():
    import random
    import unicodedata

    base = (
        "Клиент Андрей Иванов, ИИН 900101301005, почта andrey.ivanov@mail.ru, тел. +7 701 123 45 67"
    )
    expected = {
        ("PERSON", "Андрей Иванов"),
        ("KZ_IIN", "900101301005"),
        ("EMAIL_ADDRESS", "andrey.ivanov@mail.ru"),
        ("PHONE_NUMBER", "+7 701 123 45 67"),
    }
    rng = random.Random(7)
    for _ in range(25):
        chars = list(unicodedata.normalize("NFD", base))
        for _ in range(6):
            chars.insert(rng.randrange(1, len(chars)), rng.choice("\u200b\u200c\u2060\ufeff"))
        text = "".join(chars)
        found = {
            (
                f.entity,
                unicodedata.normalize(
                    "NFC",
                    "".join(
                        c for c in text[f.start : f.end] if c not in "\u200b\u200c\u2060\ufeff"
                    ),
                ),
            )
            for f in get_detector().detect(text)
        }
        assert found == expected, text
