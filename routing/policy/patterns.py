"""Checks for operator-written patterns: detection's own rules, one pattern at a time.

Detection compiles patterns with RE2 (linear time, bounded memory: no catastrophic pattern can
hang the proxy) and refuses what RE2 refuses (backreferences, lookarounds, huge repetitions),
over-long patterns and patterns that match the empty string. Asking it per pattern lets the
policy report every bad pattern at once, and lets the console validate as the officer types.
"""

from __future__ import annotations

import re

from routing.detection.custom import compile_pattern
from routing.detection.errors import PatternError

_BYTES_REPR = re.compile(r"b'(.*)'$")


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not acceptable, or None when it is."""
    try:
        compile_pattern(pattern, "pattern")
    except PatternError as exc:
        return readable_reason(str(exc.reason))
    return None


def readable_reason(reason: str) -> str:
    """RE2's message may arrive as a bytes repr (b'...'); show the officer plain text."""
    match = _BYTES_REPR.search(reason)
    if match:
        inner = match.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape")
        reason = reason[: match.start()] + inner + reason[match.end() :]
    return reason
