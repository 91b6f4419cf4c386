"""Checks for operator-written patterns: linear-time RE2 syntax only, bounded size, never empty."""

from __future__ import annotations

import re2

MAX_PATTERN_LEN = 500
# RE2 compiles every pattern into an automaton with bounded memory: no backtracking, so no
# catastrophic pattern can hang the proxy. What RE2 refuses (backreferences, lookarounds,
# huge repetitions) is refused here with its own reason.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 8 << 20


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not acceptable, or None when it is."""
    if len(pattern) > MAX_PATTERN_LEN:
        return f"at most {MAX_PATTERN_LEN} characters"
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"not a valid linear-time (RE2) pattern: {reason}"
    if compiled.search("") is not None:
        return "matches the empty string, so it would match everywhere"
    return None
