"""The entities a category may name: the contract's 13, with a description for the console."""

from __future__ import annotations

import re

# The contract's entity list, in its order. Detection supports exactly these; a policy naming
# any other entity is refused at import so a typo never silently detects nothing.
ENTITY_DESCRIPTIONS: dict[str, str] = {
    "KZ_IIN": "Kazakhstan individual identification number (ЖСН), 12 digits, checksummed",
    "KZ_BIN": "Kazakhstan business identification number (БСН), 12 digits, checksummed",
    "RU_INN": "Russian taxpayer number (ИНН), 10 or 12 digits, checksummed",
    "RU_SNILS": "Russian pension insurance number (СНИЛС), XXX-XXX-XXX YY, checksummed",
    "RU_PASSPORT": "Russian internal passport number, SS SS NNNNNN, found by context",
    "US_SSN": "US social security number, AAA-GG-SSSS",
    "CREDIT_CARD": "Payment card number (Visa, Mastercard, Mir, ...), Luhn-checked",
    "IBAN_CODE": "International bank account number, mod-97 checked",
    "EMAIL_ADDRESS": "E-mail address",
    "PHONE_NUMBER": "Telephone number (KZ, RU and international formats)",
    "IP_ADDRESS": "IPv4 or IPv6 address",
    "PERSON": "A person's name (EN/RU/KZ)",
    "SECRET": "API keys, tokens, private keys, JWTs, passwords in text",
}
CONTRACT_ENTITIES: tuple[str, ...] = tuple(ENTITY_DESCRIPTIONS)

_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def custom_entity_name(category_name: str) -> str:
    """The entity a custom category's findings carry: `internal-project` → `INTERNAL_PROJECT`."""
    return _NON_WORD.sub("_", category_name).strip("_").upper()


def supported_entities() -> tuple[str, ...]:
    """Detection's list (a constant: no engine is built); it must equal the contract's."""
    from routing.detection import ENTITIES

    return tuple(ENTITIES)
