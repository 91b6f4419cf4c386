"""The placeholder grammar and the per-request vault that masking fills and restoring reads.

Pure code: no I/O, no Django. A placeholder is `<ENTITY_N>`. Models sometimes mangle it a
little (`< PERSON_1 >`, `<person_1>`), so matching is lenient on spacing and case; the key of a
placeholder is (ENTITY upper-cased, N as a number), and both masking (to skip numbers the caller
already wrote) and restoring (to look values up) use that same key, so a lenient match can never
reach a value the gateway did not issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NoReturn

# A lenient placeholder: up to two blanks inside the brackets, any case. The name is bounded so
# a long run of word characters after '<' costs linear time, not quadratic.
PLACEHOLDER_RE = re.compile(r"<[ \t]{0,2}([A-Za-z][A-Za-z0-9_]{0,63}?)_(\d{1,9})[ \t]{0,2}>")
ENTITY_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
MAX_BLANKS = 2  # blanks accepted on each side inside the brackets (as in PLACEHOLDER_RE)

Key = tuple[str, int]


class MaskingError(RuntimeError):
    """Masking or restoring failed: the proxy refuses the request (fail closed).

    The message names the failing step and the exception type only, never a value.
    """


def placeholder_key(name: str, number: str | int) -> Key:
    """The key two spellings of one placeholder share: `person`/`PERSON`, `01`/`1`."""
    return name.upper(), int(number)


def reserved_keys(text: str) -> Iterator[Key]:
    """Keys of everything in `text` that looks like a placeholder (the caller's own)."""
    if "<" not in text:
        return
    for match in PLACEHOLDER_RE.finditer(text):
        yield placeholder_key(match.group(1), match.group(2))


class Vault:
    """Placeholder -> original value for one request. In memory only: never logged or stored.

    `repr()` shows a count, never a value; pickling and copying are refused so a vault cannot
    end up in a cache, a queue or a log by accident.
    """

    __slots__ = ("_by_key", "_inner", "_prefixes")

    def __init__(self) -> None:
        self._by_key: dict[Key, tuple[str, str]] = {}  # key -> (placeholder, original)
        self._inner: set[str] = set()  # "PERSON_1" for every placeholder
        self._prefixes: set[str] = set()  # every prefix of every inner name, for stream hold-back

    def add(self, placeholder: str, original: str) -> None:
        match = PLACEHOLDER_RE.fullmatch(placeholder)
        key = None if match is None else placeholder_key(match.group(1), match.group(2))
        if key is None or placeholder != f"<{key[0]}_{key[1]}>":  # upper case, no blanks/zeros
            raise MaskingError("vault: not a canonical placeholder")
        if key in self._by_key:
            raise MaskingError("vault: placeholder issued twice")
        self._by_key[key] = (placeholder, original)
        inner = f"{key[0]}_{key[1]}"
        self._inner.add(inner)
        self._prefixes.update(inner[:i] for i in range(1, len(inner) + 1))

    def lookup(self, name: str, number: str) -> str | None:
        """The original behind a (leniently matched) placeholder, or None if never issued."""
        entry = self._by_key.get(placeholder_key(name, number))
        return None if entry is None else entry[1]

    def original(self, placeholder: str) -> str | None:
        match = PLACEHOLDER_RE.fullmatch(placeholder)
        return None if match is None else self.lookup(match.group(1), match.group(2))

    def is_inner(self, word: str) -> bool:
        """`word` (upper-cased) is exactly the inside of an issued placeholder."""
        return word in self._inner

    def is_inner_prefix(self, word: str) -> bool:
        """`word` (upper-cased) could still grow into the inside of an issued placeholder."""
        return word in self._prefixes

    def items(self) -> Iterator[tuple[str, str]]:
        """(placeholder, original) pairs, for the console playground's side-by-side view."""
        return iter(self._by_key.values())

    def originals(self) -> frozenset[str]:
        return frozenset(original for _, original in self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, placeholder: object) -> bool:
        return isinstance(placeholder, str) and self.original(placeholder) is not None

    def __repr__(self) -> str:
        return f"<Vault: {len(self._by_key)} placeholders>"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Vault holds raw values and is never serialised or copied")
