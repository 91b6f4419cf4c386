"""Self-test: a built-in set of tricky inputs run against a policy, caught per category.

The inputs exercise what trips naive detectors: full-width digits, zero-width characters,
values split over lines or spaced out, Russian/Kazakh/English mixed, obfuscated e-mails. For the
policy's own categories, each term is tried in upper case, with a zero-width space inside and in
a Russian sentence. A draft that catches fewer than the live version in any category is flagged.
All inputs are synthetic (valid checksums, nobody's data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routing.policy.document import Policy

_FULL_WIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}

BUILTIN_CASES: tuple[tuple[str, str, str], ...] = (
    # (entity, description, text)
    ("KZ_IIN", "IIN in Russian", "ИИН клиента 900101300017"),
    ("KZ_IIN", "IIN in full-width digits", "ЖСН: " + "900101300017".translate(_FULL_WIDTH)),
    ("KZ_IIN", "IIN spaced in groups", "IIN 9001 0130 0017"),
    ("KZ_IIN", "IIN split over two lines", "ИИН 900101\n300017"),
    ("KZ_IIN", "IIN with a zero-width space", "ИИН 9001013\u200b00017"),
    ("RU_INN", "INN in Russian", "ИНН организации 7707083893"),
    ("RU_SNILS", "SNILS", "СНИЛС 112-233-445 95"),
    ("RU_PASSPORT", "Russian passport by context", "паспорт 45 06 123456"),
    ("US_SSN", "SSN with spaces", "social security number 536 22 1234"),
    ("CREDIT_CARD", "card with dashes, Russian", "карта 4111-1111-1111-1111"),
    ("CREDIT_CARD", "Mir card", "Мир 2200 0000 0000 0004"),
    ("IBAN_CODE", "Kazakh IBAN", "IBAN KZ86125KZT5004100100"),
    ("EMAIL_ADDRESS", "obfuscated e-mail", "почта ivan(at)example.kz"),
    ("PHONE_NUMBER", "Kazakh national phone", "телефон 8 701 123 45 67"),
    ("PHONE_NUMBER", "international phone", "call +7 (701) 123-45-67"),
    ("PERSON", "Russian full name", "Пациент Иванов Иван Иванович"),
    ("PERSON", "Kazakh full name", "Науқас Серікбаев Айдос Маратұлы"),
    ("SECRET", "AWS key id", "key AKIAIOSFODNN7EXAMPLE"),
    ("SECRET", "GitHub token", "token ghp_1234567890abcdefghijABCDEFGHIJ123456"),
    ("IP_ADDRESS", "IPv4 address", "ip 192.168.10.25"),
)


@dataclass
class CategoryScore:
    category: str
    caught: int = 0
    total: int = 0
    missed: list[str] = field(default_factory=list)  # case descriptions, never values


@dataclass
class SelfTest:
    scores: dict[str, CategoryScore]

    def lowered(self, baseline: SelfTest) -> list[str]:
        """Categories that catch fewer cases than in `baseline` (a rule change weakened them)."""
        out = []
        for name, base in baseline.scores.items():
            now = self.scores.get(name)
            if base.caught and (now is None or now.caught < base.caught):
                out.append(name)
        return out


def _custom_cases(policy: Policy) -> list[tuple[str, str, str]]:
    cases = []
    for category in policy.categories:
        for term in category.terms[:5]:
            entity = category.custom_entity
            middle = max(1, len(term) // 2)
            cases += [
                (entity, f"term {term!r} in upper case", f"see {term.upper()} today"),
                (
                    entity,
                    f"term {term!r} with a zero-width space",
                    f"{term[:middle]}\u200b{term[middle:]}",
                ),
                (entity, f"term {term!r} in a Russian sentence", f"Проект {term} закрыт."),
            ]
    return cases


def run_selftest(policy: Policy, custom: Any) -> SelfTest:
    """How many tricky inputs each of the policy's categories catches."""
    from routing.detection import get_detector

    detector = get_detector()
    owners = policy.entity_categories()
    scores = {c.name: CategoryScore(c.name) for c in policy.categories}
    for entity, description, text in (*BUILTIN_CASES, *_custom_cases(policy)):
        category = owners.get(entity)
        if category is None:
            continue  # no category claims this entity: nothing to score
        score = scores[category]
        score.total += 1
        found = {f.entity for f in detector.detect(text, custom=custom)}
        if entity in found:
            score.caught += 1
        else:
            score.missed.append(description)
    return SelfTest(scores)
