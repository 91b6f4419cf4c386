"""An organisation's own categories: operator-written regexes (RE2, linear time) and terms.

Validation happens once, when a policy is parsed: a pattern RE2 cannot compile, one that is
too long or too big for the memory budget, or one that matches the empty string is refused
with a `PatternError` naming its field. Nothing is compiled on the request path.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import re2
from presidio_analyzer import RecognizerResult

from routing.detection.errors import PatternError
from routing.detection.recognizers.base import Doc, Recognizer, result

MAX_PATTERN_CHARS = 1000
MAX_TERM_CHARS = 200
_tokens = itertools.count(1)
MAX_PROGRAM_BYTES = 2 << 20  # RE2's memory budget per pattern: refuses huge repetitions


@dataclass(frozen=True)
class CustomCategory:
    """An organisation's own category from the policy; findings use `entity` (upper-snaked)."""

    name: str
    patterns: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()

    @property
    def entity(self) -> str:
        return entity_name(self.name)


def entity_name(category: str) -> str:
    """`internal-project` → `INTERNAL_PROJECT`."""
    return re.sub(r"[^0-9A-Za-z]+", "_", category).strip("_").upper()


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_PROGRAM_BYTES
    options.log_errors = False
    return options


def compile_pattern(pattern: str, field: str) -> re2._Regexp:
    if not isinstance(pattern, str) or not pattern:
        raise PatternError(field, "must be a non-empty string")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(field, f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re2.compile(pattern, _options())
    except Exception as exc:  # re2.error, or a program over the memory budget
        reason = str(exc.args[0] if exc.args else exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(field, f"not a safe (RE2) regular expression: {reason}") from None
    if compiled.search("") is not None:
        raise PatternError(field, "matches the empty string")
    return compiled


class CustomMatchers(Recognizer):
    """Compiled matchers for a policy's categories (immutable once built)."""

    def __init__(
        self, compiled: Sequence[tuple[str, tuple[re2._Regexp, ...], re.Pattern[str] | None]]
    ) -> None:
        self.ENTITIES = tuple(dict.fromkeys(entity for entity, _, _ in compiled))
        super().__init__()
        self._compiled = tuple(compiled)
        self.token = next(_tokens)  # distinguishes matchers in the findings cache key

    @property
    def entities(self) -> tuple[str, ...]:
        return self.ENTITIES

    def scan(self, doc: Doc) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        text = doc.text
        for entity, patterns, terms in self._compiled:
            for rx in patterns:
                for m in rx.finditer(text):
                    if m.end() > m.start():
                        out.append(result(entity, m.start(), m.end(), 0.99))
            if terms is not None:
                for m in terms.finditer(text):
                    out.append(result(entity, m.start(), m.end(), 0.99))
        return out


def compile_custom(
    categories: Sequence[CustomCategory], *, field_prefix: Callable[[int], str] | None = None
) -> CustomMatchers:
    prefix = field_prefix or (lambda i: f"categories[{i}]")
    compiled = []
    for i, category in enumerate(categories):
        base = prefix(i)
        entity = category.entity
        if not entity:
            raise PatternError(f"{base}.name", "must contain a letter or digit")
        patterns = tuple(
            compile_pattern(p, f"{base}.patterns[{j}]") for j, p in enumerate(category.patterns)
        )
        terms = []
        for j, term in enumerate(category.terms):
            if not isinstance(term, str) or not term.strip():
                raise PatternError(f"{base}.terms[{j}]", "must be a non-empty string")
            if len(term) > MAX_TERM_CHARS:
                raise PatternError(f"{base}.terms[{j}]", f"longer than {MAX_TERM_CHARS} characters")
            terms.append(re.escape(term.strip()).replace(r"\ ", r"\s+"))
        terms_rx = None
        if terms:
            terms.sort(key=len, reverse=True)
            terms_rx = re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)
        compiled.append((entity, patterns, terms_rx))
    return CustomMatchers(compiled)
