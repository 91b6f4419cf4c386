"""Findings per text, in memory only, under a keyed hash of the text.

Chat clients resend the whole conversation on every turn; a hit costs one HMAC. The key is
random per process (never stored), so digests are useless outside it, and the cache holds
spans and types only, never the text. Bounded LRU; thread-safe (detection runs in threads).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable

from routing.findings import Finding


class FindingsCache:
    def __init__(self, maxsize: int = 8192) -> None:
        self._key = secrets.token_bytes(32)
        self._maxsize = maxsize
        self._data: OrderedDict[Hashable, tuple[Finding, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def digest(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def get(self, key: Hashable) -> tuple[Finding, ...] | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, findings: tuple[Finding, ...]) -> None:
        with self._lock:
            self._data[key] = findings
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
