"""Masking operators applied to the ORIGINAL spans of every text slot of a request.

Pure code: no I/O, no Django. One pass per slot, output built from slices. Operators:

- `placeholder` -> `<ENTITY_N>`, numbered per entity from 1; the same value of the same entity
  gets the same placeholder in every slot of the request. A number the caller's own text already
  uses anywhere in the body (under restoring's lenient match: `<person_1>` reserves PERSON 1) is
  skipped, so restoring never rewrites the caller's own text when the model echoes it. The vault
  keeps placeholder -> original, in memory only.
- `redact` -> `<ENTITY>`, never restored.
- `hash` -> `<ENTITY:xxxxxxxx>`: the first 8 hex digits of HMAC-SHA-256(deployment key, value),
  stable per deployment and useless without the key.
- `partial` -> every character but the last 4 becomes `*`, separators included (the contract's
  words), so the length is kept; a value of 8 characters or fewer keeps only half of them, so
  a short value is never shown whole.
- `block` -> the entity goes to `blocked_entities` (the proxy answers 403 blocked_by_policy);
  its spans are redacted anyway, so a caller that ignored the flag still forwards nothing raw.
- In a message's `name` (OpenAI accepts only `[A-Za-z0-9_-]` there) the replacement drops other
  characters: `<PERSON_1>` is sent as `PERSON_1` (not restored: names do not come back).
- `keep`, or no rule, or an `apply_to: external` rule on an in-country destination: unchanged.

Fail closed: any error raises `MaskingError`, whose message never contains a value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from routing.findings import Finding
from routing.placeholders import ENTITY_RE, Key, MaskingError, Vault, reserved_keys
from routing.texts import TextSlot, with_texts

Action = Literal["placeholder", "redact", "hash", "partial", "block", "keep"]
ApplyTo = Literal["external", "all"]
ACTIONS: tuple[str, ...] = ("placeholder", "redact", "hash", "partial", "block", "keep")
APPLY_TO: tuple[str, ...] = ("external", "all")
# When two findings overlap (the detector promises they do not), the stronger action wins.
_STRENGTH = {"block": 5, "redact": 4, "hash": 3, "placeholder": 2, "partial": 1}
PARTIAL_VISIBLE = 4
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_-]")  # what OpenAI accepts in a message `name`
HASH_HEX = 8


@dataclass(frozen=True, slots=True)
class MaskRule:
    """What to do with an entity's values, and for which destinations."""

    action: Action
    apply_to: ApplyTo = "all"

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown masking action {self.action!r}")
        if self.apply_to not in APPLY_TO:
            raise ValueError(f"unknown apply_to {self.apply_to!r}")

    def applies(self, *, external: bool) -> bool:
        return self.action != "keep" and (self.apply_to == "all" or external)


@dataclass(frozen=True)
class ScanResult:
    """Every text slot of a request and its findings; `findings[i]` belong to `slots[i]`."""

    slots: list[TextSlot]
    findings: list[list[Finding]]
    unscannable: list[str]

    def entity_counts(self) -> dict[str, int]:
        return dict(Counter(f.entity for found in self.findings for f in found))


@dataclass
class Masked:
    """The body to forward, the vault to restore the answer with, and what was done (counts)."""

    body: dict[str, Any] = field(repr=False)
    vault: Vault
    actions: dict[str, int]
    blocked_entities: list[str]


@dataclass
class _Context:
    """Per-request state shared by the operators across all slots."""

    vault: Vault
    hash_key: bytes
    reserved: set[Key]
    issued: dict[tuple[str, str], str] = field(default_factory=dict)  # (entity, value) -> ph
    numbers: Counter[str] = field(default_factory=Counter)  # last number used per entity
    blocked: set[str] = field(default_factory=set)


Operator = Callable[[str, str, _Context], str]


def _placeholder(entity: str, value: str, ctx: _Context) -> str:
    existing = ctx.issued.get((entity, value))
    if existing is not None:
        return existing
    if ENTITY_RE.fullmatch(entity) is None:
        raise MaskingError("placeholder: entity name outside the placeholder grammar")
    number = ctx.numbers[entity] + 1
    while (entity, number) in ctx.reserved:  # the caller already wrote this one: skip it
        number += 1
    ctx.numbers[entity] = number
    placeholder = f"<{entity}_{number}>"
    ctx.vault.add(placeholder, value)
    ctx.issued[(entity, value)] = placeholder
    return placeholder


def _redact(entity: str, value: str, ctx: _Context) -> str:
    return f"<{entity}>"


def _hash(entity: str, value: str, ctx: _Context) -> str:
    if not ctx.hash_key:
        raise MaskingError("hash: no deployment hash key configured")
    digest = hmac.new(ctx.hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<{entity}:{digest[:HASH_HEX]}>"


def partial_mask(value: str) -> str:
    """All but the last 4 characters become `*` (only half kept when the value is short)."""
    visible = min(PARTIAL_VISIBLE, len(value) // 2)
    return "*" * (len(value) - visible) + value[len(value) - visible :]


def _partial(entity: str, value: str, ctx: _Context) -> str:
    return partial_mask(value)


def _block(entity: str, value: str, ctx: _Context) -> str:
    ctx.blocked.add(entity)
    return f"<{entity}>"


OPERATORS: dict[str, Operator] = {
    "placeholder": _placeholder,
    "redact": _redact,
    "hash": _hash,
    "partial": _partial,
    "block": _block,
}


def _spans(
    text: str, findings: Sequence[Finding], rules: Mapping[str, MaskRule], external: bool
) -> list[tuple[int, int, str, str]]:
    """(start, end, entity, action) to apply, sorted and merged where findings overlap."""
    spans: list[tuple[int, int, str, str]] = []
    for finding in sorted(findings, key=lambda f: (f.start, f.end)):
        if not 0 <= finding.start < finding.end <= len(text):
            raise MaskingError("a finding's span lies outside its text")
        rule = rules.get(finding.entity)
        if rule is None or not rule.applies(external=external):
            continue
        span: tuple[int, int, str, str] = (finding.start, finding.end, finding.entity, rule.action)
        if spans and span[0] < spans[-1][1]:  # overlap: one span, the stronger action
            last = spans.pop()
            strongest = max(last, span, key=lambda s: _STRENGTH[s[3]])
            span = (last[0], max(last[1], span[1]), strongest[2], strongest[3])
        spans.append(span)
    return spans


def _mask_text(
    text: str,
    findings: Sequence[Finding],
    rules: Mapping[str, MaskRule],
    external: bool,
    ctx: _Context,
    actions: Counter[str],
    *,
    identifier: bool = False,
) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, entity, action in _spans(text, findings, rules, external):
        parts.append(text[pos:start])
        replacement = OPERATORS[action](entity, text[start:end], ctx)
        if identifier:  # `name` fields must stay [A-Za-z0-9_-]: <PERSON_1> is sent as PERSON_1
            replacement = _NOT_IDENTIFIER.sub("", replacement)
        parts.append(replacement)
        actions[action] += 1
        pos = end
    if pos == 0:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (keys included), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def mask_request(
    body: Mapping[str, Any],
    scan: ScanResult,
    *,
    rules: Mapping[str, MaskRule],
    external: bool,
    hash_key: bytes,
) -> Masked:
    """Mask every slot of `scan` in a copy of `body` for a destination (`external` or not).

    `rules` maps ENTITY -> MaskRule. The caller's dict is never mutated. Raises MaskingError on
    any failure: the proxy must then refuse the request, never forward it.
    """
    try:
        if len(scan.findings) != len(scan.slots):
            raise MaskingError("scan result: one findings list per slot expected")
        reserved: set[Key] = set()
        for text in _strings(body):  # every string, not only slots: tool descriptions echo too
            reserved.update(reserved_keys(text))
        ctx = _Context(vault=Vault(), hash_key=hash_key, reserved=reserved)
        actions: Counter[str] = Counter()
        replacements = []
        for slot, findings in zip(scan.slots, scan.findings, strict=True):
            if findings:
                masked = _mask_text(
                    slot.text,
                    findings,
                    rules,
                    external,
                    ctx,
                    actions,
                    identifier=slot.path[-1] == "name",
                )
                if masked is not slot.text:
                    replacements.append((slot.path, masked))
        return Masked(
            body=with_texts(body, replacements),
            vault=ctx.vault,
            actions=dict(actions),
            blocked_entities=sorted(ctx.blocked),
        )
    except MaskingError:
        raise
    except Exception as exc:
        raise MaskingError(f"masking failed ({type(exc).__name__})") from None
