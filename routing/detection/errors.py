"""The two errors detection raises: a refused pattern and an internal failure."""

from __future__ import annotations


class PatternError(ValueError):
    """An operator-written pattern cannot be made safe; `field` names where it came from."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class DetectionError(RuntimeError):
    """Anything that went wrong inside detection. Callers refuse the request (fail closed)."""
