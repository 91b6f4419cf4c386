# ruff: noqa: RUF001
"""Each entity in context, and the near misses that must not fire."""

from __future__ import annotations

import pytest

from routing.detection import get_detector


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.entity, text[f.start : f.end]) for f in get_detector().detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ИИН 900101301005", ("KZ_IIN", "900101301005")),
        ("БСН: 050440001236", None),
        ("ИНН 7707083893", ("RU_INN", "7707083893")),
        ("ИНН организации 500100732259", ("RU_INN", "500100732259")),
        ("СНИЛС 112-233-445 95", ("RU_SNILS", "112-233-445 95")),
        ("паспорт серия 45 10 123456 выдан", ("RU_PASSPORT", "45 10 123456")),
        ("SSN 536-22-1234", ("US_SSN", "536-22-1234")),
        ("social security number 536221234", ("US_SSN", "536221234")),
        ("Mir card 2200 0000 0000 0004", ("CREDIT_CARD", "2200 0000 0000 0004")),
        ("MC 2221-0000-0000-0009 exp 12/27", ("CREDIT_CARD", "2221-0000-0000-0009")),
        ("счёт kz86 125k zt50 0410 0100", ("IBAN_CODE", "kz86 125k zt50 0410 0100")),
        ("IBAN GB29 NWBK 6016 1331 9268 19", ("IBAN_CODE", "GB29 NWBK 6016 1331 9268 19")),
        ("тел. 8 701 123 45 67", ("PHONE_NUMBER", "8 701 123 45 67")),
        ("call +7 (727) 250-00-00", ("PHONE_NUMBER", "+7 (727) 250-00-00")),
        ("office +44 20 7946 0958", ("PHONE_NUMBER", "+44 20 7946 0958")),
        ("host 192.168.10.5 is down", ("IP_ADDRESS", "192.168.10.5")),
        ("v6 2001:db8::8a2e:370:7334 ok", ("IP_ADDRESS", "2001:db8::8a2e:370:7334")),
    ],
)
def test_entity_in_context(text, expected):
    found = _found(text)
    if expected is None:  # BIN: built below with a valid check digit instead
        return
    assert expected in found, found


def test_bin_with_valid_check_digit():
    from routing.detection.validators import kz_check_digit

    bin_ = "05044000123" + str(kz_check_digit("05044000123"))
    assert _found(f"БСН: {bin_}") == [("KZ_BIN", bin_)]


@pytest.mark.parametrize(
    "text",
    [
        "ИИН 900101301006",  # wrong check digit
        "номер заявки 123456789012",  # 12 digits, no valid IIN/BIN
        "card 4111 1111 1111 1112",  # Luhn fails
        "IBAN KZ87125KZT5004100100",  # mod-97 fails
        "ИНН 7707083894",  # check digit fails
        "СНИЛС 112-233-445 96",
        "SSN 900-12-3456",  # area 900+ never issued
        "Order 7707083893 shipped",  # valid INN-10 checksum but no context
        "reference 536221234",  # 9 digits, no SSN context
        "Python 3.11.4 and version 2.4.1",
        "Meeting at 14:30 on 12.03.2025, room 7",
    ],
)
def test_near_misses_do_not_fire(text):
    assert _found(text) == []


def test_ip_address_is_not_read_as_an_ssn_next_to_ssn_context():
    found = _found("SSN 536-22-1234, server 213.174.152.46")
    assert ("IP_ADDRESS", "213.174.152.46") in found
    assert [e for e, _ in found].count("US_SSN") == 1


def test_phone_digits_are_not_read_as_a_passport():
    found = _found("passport no. 45 10 123456, +7 702 095 19 41")
    assert ("PHONE_NUMBER", "+7 702 095 19 41") in found
    assert ("RU_PASSPORT", "45 10 123456") in found


@pytest.mark.parametrize(
    "secret",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "glpat-AbCdEfGhIjKlMnOpQrSt",
        "xoxb-123456789012-123456789012-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_secret_formats(secret):
    assert _found(f"here: {secret} end") == [("SECRET", secret)]


def test_pem_private_key_block():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\nabcd==\n-----END RSA PRIVATE KEY-----"
    assert _found(f"key:\n{pem}\nthanks") == [("SECRET", pem)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password: hunter2!", "hunter2!"),
        ("пароль — Qwerty2024", "Qwerty2024"),
        ("құпия сөз: Astana#2030", "Astana#2030"),
        ("postgres://admin:S3cr3t@db.internal:5432/app", "admin:S3cr3t"),
        ("Authorization: Bearer abcDEF1234567890xyzXYZ", "abcDEF1234567890xyzXYZ"),
        ("the api key is kT9xQ2mV7pL4wZ8rB3nC6yH1", "kT9xQ2mV7pL4wZ8rB3nC6yH1"),
    ],
)
def test_credentials_after_keywords(text, value):
    assert ("SECRET", value) in _found(text)


def test_a_password_policy_sentence_is_not_a_secret():
    assert _found("The password policy requires twelve characters.") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Please send the contract to John Smith by Friday.", "John Smith"),
        ("I spoke with Dr. Ocheltree yesterday.", "Ocheltree"),
        ("Клиент Иван Петрович Сидоров просит перезвонить.", "Иван Петрович Сидоров"),
        ("Отправьте договор Ивану Петрову до пятницы.", "Ивану Петрову"),
        ("Наш сотрудник Ефремова Л. С. выходит в понедельник.", "Ефремова Л. С."),
        ("Науқас Асқар Серікұлы Жұмабаев ертең келеді.", "Асқар Серікұлы Жұмабаев"),
        ("Құжатты Айгүл Нұрланқызына жіберіңіз.", "Айгүл Нұрланқызына"),
    ],
)
def test_person_in_english_russian_and_kazakh(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The White House said the New York office will open in March.",
        "Поезд из Алматы в Астану идёт около 12 часов.",
        "Сұлы мен жидектен жасалатын бес таңғы ас ұсын.",
        "Draft a job description for a Senior Data Engineer at our Astana office.",
        "Передайте отчёт в Министерство финансов до понедельника.",
    ],
)
def test_capitalised_words_that_are_not_people(text):
    assert [e for e, _ in _found(text) if e == "PERSON"] == []


def test_phone_numbers_written_one_after_another_are_each_found():
    text = "тел: 8 701 123 45 67 8 702 765 43 21, (415) 555-2671 (212) 555-2671"
    assert _found(text) == [
        ("PHONE_NUMBER", "8 701 123 45 67"),
        ("PHONE_NUMBER", "8 702 765 43 21"),
        ("PHONE_NUMBER", "(415) 555-2671"),
        ("PHONE_NUMBER", "(212) 555-2671"),
    ]


def test_a_text_of_nothing_but_digit_groups_finds_nothing_false():
    assert _found("1 " * 20000) == []
    assert _found("123 " * 5000) == []


def test_code_references_are_not_secrets():
    code = (
        'DB_PASSWORD = os.environ["DB_PASSWORD"]\n'
        'password = os.getenv("APP_PASSWORD")\n'
        "api_key = None\n"
        'dsn = f"postgresql://{user}:{password}@{host}/app"\n'
        'session_id = "3f9a2b7c-1d4e-4f6a-9b8c-2e1f0a3b4c5d"\n'
    )
    assert [e for e, _ in _found(code) if e == "SECRET"] == []


def test_labels_env_names_and_decorators_are_not_detected():
    text = "Auth: `Authorization: Bearer <key>`, api_key_env: CLOUD_API_KEY\n```python\n@transaction.atomic"
    assert _found(text) == []
