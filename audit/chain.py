"""The canonical form of an audit record and the hash chain over it.

hash = SHA-256(canonical JSON of the record's fields, including its `seq` and `prev_hash`).
Plain SHA-256 rather than an HMAC so anyone holding an export can re-check the links without a
secret; the retention checkpoints, which stand in for purged rows, are HMAC-signed instead.

The canonical form is stable across databases: keys sorted, no whitespace, UTC timestamps with
microseconds, cost as a fixed 8-decimal string, floats as Python's shortest round-trip repr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

# Every field that describes the request: the contract's fields plus the ones the detail page
# shows (endpoint, residency, fallbacks, completion). Changing this list breaks every old hash.
HASHED_FIELDS: tuple[str, ...] = (
    "id",
    "timestamp",
    "team",
    "team_id",
    "key_prefix",
    "end_user",
    "endpoint",
    "model_requested",
    "backend",
    "route",
    "residency",
    "fallbacks_tried",
    "policy_version",
    "status_code",
    "error_code",
    "stream",
    "entities",
    "categories",
    "actions",
    "latency_ms",
    "upstream_ms",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "completed_at",
)
# What the verifier reads: the hashed fields plus the chain's own.
CHAIN_FIELDS: tuple[str, ...] = (*HASHED_FIELDS, "seq", "prev_hash", "hash")

COST_QUANTUM = Decimal("0.00000001")
_PLAIN = frozenset({str, int, float, bool, dict, list})


def canonical_value(value: Any) -> Any:
    """One field value in the JSON-safe, database-independent form the hash covers."""
    if value is None or type(value) in _PLAIN:  # most fields: nothing to convert
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, Decimal):
        return format(value.quantize(COST_QUANTUM), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_bytes(fields: dict[str, Any], *, seq: int, prev_hash: str) -> bytes:
    """The exact bytes hashed for one record at position `seq` after `prev_hash`."""
    doc = {name: canonical_value(fields[name]) for name in HASHED_FIELDS}
    doc["seq"] = seq
    doc["prev_hash"] = prev_hash
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_hash(fields: dict[str, Any], *, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical_bytes(fields, seq=seq, prev_hash=prev_hash)).hexdigest()
