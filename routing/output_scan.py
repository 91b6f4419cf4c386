"""Output scanning (a policy option): mask values in an answer that did not come from the caller.

Pure code apart from the detector it is handed: no I/O, no Django. It runs on RESTORED text, so
the caller's own values are back in place; a finding whose value equals one the caller sent
(every vault original, plus any `known` values such as kept findings) stays, anything else of a
chosen entity becomes `<ENTITY>` and is counted. Values are compared folded (case-insensitive,
letters and digits only), so "+7 701 123 45 67" and "+77011234567" are the same phone.

Streams: `OutputScanner` sits after the `StreamRestorer` and releases text by LINE: it holds a
key's text until a line break, scans the complete lines and releases them. A line longer than
`max_hold` characters is cut at a blank that no finding touches, so a value is never split
between two scans. The cost is one detector call per released block (see bench_restore.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from routing.findings import Finding
from routing.placeholders import MaskingError, Vault

StreamKey = tuple[Hashable, ...]
_BLANKS = " \t\n\r"


class TextDetector(Protocol):
    def detect(
        self, text: str, *, entities: frozenset[str] | None = ..., custom: Any = ...
    ) -> list[Finding]: ...


@dataclass(frozen=True)
class OutputScanResult:
    """The answer text with foreign values masked, and how many of each entity were masked."""

    text: str = field(repr=False)
    counts: dict[str, int]


def fold(value: str) -> str:
    """The comparison form of a value: case-folded letters and digits only."""
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def known_values(vault: Vault, known: Iterable[str] = ()) -> frozenset[str]:
    """Folded values the caller sent: every vault original plus `known`."""
    return frozenset(fold(v) for v in (*vault.originals(), *known))


def _mask_spans(
    text: str, findings: Sequence[Finding], caller: frozenset[str], counts: Counter[str]
) -> str:
    parts: list[str] = []
    pos = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < pos or not 0 <= finding.start < finding.end <= len(text):
            continue  # overlaps one already masked (detector promises none) or out of range
        if fold(text[finding.start : finding.end]) in caller:
            continue  # the caller's own value, put back by restoring: it stays
        parts.append(text[pos : finding.start])
        parts.append(f"<{finding.entity}>")
        counts[finding.entity] += 1
        pos = finding.end
    parts.append(text[pos:])
    return "".join(parts)


def mask_output(
    text: str,
    *,
    detector: TextDetector,
    entities: frozenset[str],
    vault: Vault,
    known: Iterable[str] = (),
    custom: Any = None,
    caller: frozenset[str] | None = None,
) -> OutputScanResult:
    """Mask values of `entities` in `text` that the caller did not send. Raises MaskingError."""
    try:
        if not entities or not text.strip():
            return OutputScanResult(text, {})
        if caller is None:
            caller = known_values(vault, known)
        findings = detector.detect(text, entities=entities, custom=custom)
        counts: Counter[str] = Counter()
        masked = _mask_spans(text, findings, caller, counts)
        return OutputScanResult(masked, dict(counts))
    except MaskingError:
        raise
    except Exception as exc:
        raise MaskingError(f"output scanning failed ({type(exc).__name__})") from None


class OutputScanner:
    """Output scanning for a stream: feed it what the restorer released, per key, in order."""

    def __init__(
        self,
        *,
        detector: TextDetector,
        entities: frozenset[str],
        vault: Vault,
        known: Iterable[str] = (),
        custom: Any = None,
        max_hold: int = 1024,
    ) -> None:
        self._detector = detector
        self._entities = entities
        self._custom = custom
        self._caller = known_values(vault, known)
        self._max_hold = max_hold
        self._held: dict[StreamKey, str] = {}
        self.counts: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"<OutputScanner: {len(self._held)} keys holding text>"

    def feed(self, key: StreamKey, text: str) -> str:
        if not self._entities:
            return text
        buffer = self._held.pop(key, "") + text
        line_end = buffer.rfind("\n") + 1
        if line_end:
            self._held[key] = buffer[line_end:]
            return self._scan(buffer[:line_end])
        if len(buffer) <= self._max_hold:
            self._held[key] = buffer
            return ""
        return self._release_long(key, buffer)

    def flush(self, key: StreamKey) -> str:
        return self._scan(self._held.pop(key, ""))

    def _scan(self, block: str) -> str:
        result = mask_output(
            block,
            detector=self._detector,
            entities=self._entities,
            vault=Vault(),
            custom=self._custom,
            caller=self._caller,
        )
        self.counts.update(result.counts)
        return result.text

    def _release_long(self, key: StreamKey, buffer: str) -> str:
        """A long line: release up to the last blank that no finding touches."""
        try:
            findings = self._detector.detect(buffer, entities=self._entities, custom=self._custom)
        except Exception as exc:
            raise MaskingError(f"output scanning failed ({type(exc).__name__})") from None
        cut = _last_blank(buffer, len(buffer))
        moved = True
        while cut > 0 and moved:
            moved = False
            for finding in findings:
                if finding.start <= cut and finding.end >= cut - 1:  # touches the blank
                    cut = _last_blank(buffer, min(finding.start, cut - 1))  # strictly earlier
                    moved = True
                    break
        if cut <= 0 and len(buffer) < 4 * self._max_hold:
            self._held[key] = buffer
            return ""
        cut = cut if cut > 0 else len(buffer)  # a huge unbroken run: release it, masked
        self._held[key] = buffer[cut:]
        inside = [f for f in findings if f.end <= cut]
        masked = _mask_spans(buffer[:cut], inside, self._caller, self.counts)
        return masked


def _last_blank(text: str, before: int) -> int:
    """Index just after the last blank in `text[:before]`, or 0."""
    best = -1
    for blank in _BLANKS:
        best = max(best, text.rfind(blank, 0, before))
    return best + 1
