"""What detection hands to masking and routing: typed spans, never more than needed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: its entity type and its span in the ORIGINAL text (not normalised).

    `entity` is one of the contract's entities (KZ_IIN, CREDIT_CARD, PERSON, ...) or, for an
    organisation's own category, the category's name upper-snaked (`internal-project` →
    `INTERNAL_PROJECT`).
    """

    entity: str
    start: int
    end: int
    score: float
