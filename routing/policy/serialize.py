"""Policy → document (plain data) → YAML, such that parse_policy(to_document(p)) == p.

Defaults are left out so an exported document reads like a hand-written one; parse_policy puts
them back, which is what makes the round trip exact.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import yaml

from routing.policy.document import (
    DEFAULT_TIMEOUTS,
    SCHEMA_VERSION,
    Backend,
    Category,
    Options,
    Policy,
    Route,
)


def _number(value: Decimal) -> float | int | str:
    """A float when it reads back as exactly the same Decimal, else a string (never lossy)."""
    if value == value.to_integral_value() and abs(value) < 10**15:
        return int(value)
    as_float = float(value)
    return as_float if Decimal(str(as_float)) == value else str(value)


def _backend(b: Backend) -> dict[str, Any]:
    out: dict[str, Any] = {"name": b.name, "base_url": b.base_url, "residency": b.residency}
    out["models"] = dict(b.models)
    if b.api_key_env:
        out["api_key_env"] = b.api_key_env
    if b.cost_input_per_1k or b.cost_output_per_1k:
        out["cost_per_1k_tokens"] = {
            "input": _number(b.cost_input_per_1k),
            "output": _number(b.cost_output_per_1k),
        }
    timeouts = {
        "connect": b.connect_timeout,
        "first_byte": b.first_byte_timeout,
        "total": b.total_timeout,
    }
    changed = {k: v for k, v in timeouts.items() if v != DEFAULT_TIMEOUTS[k]}
    if changed:
        out["timeouts"] = changed
    if b.max_concurrency is not None:
        out["max_concurrency"] = b.max_concurrency
    return out


def _category(c: Category) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name}
    for key in ("entities", "patterns", "terms"):
        values = getattr(c, key)
        if values:
            out[key] = list(values)
    if not c.is_custom and not c.entities:
        out["entities"] = []
    if c.stays_in_country:
        out["stays_in_country"] = True
    return out


def _route(r: Route) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name}
    when = {
        key: list(getattr(r, key))
        for key in ("categories_any", "categories_none", "teams", "models", "key_tags")
        if getattr(r, key)
    }
    if when:
        out["when"] = when
    out["backends"] = list(r.backends)
    return out


def to_document(policy: Policy) -> dict[str, Any]:
    """The canonical plain-data form of a policy (what is stored, hashed and exported)."""
    doc: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "backends": [_backend(b) for b in policy.backends.values()],
        "categories": [_category(c) for c in policy.categories],
        # In category order: a stored document may come back with its keys reordered
        # (PostgreSQL jsonb sorts object keys), the export should still read like the editor.
        "masking": {
            c.name: {
                "action": policy.masking[c.name].action,
                "apply_to": policy.masking[c.name].apply_to,
            }
            for c in policy.categories
            if c.name in policy.masking
        },
        "routes": [_route(r) for r in policy.routes],
    }
    if policy.options != Options():
        options: dict[str, Any] = {}
        if policy.options.unscannable_parts != Options.unscannable_parts:
            options["unscannable_parts"] = policy.options.unscannable_parts
        if policy.options.output_scan:
            options["output_scan"] = list(policy.options.output_scan)
        doc["options"] = options
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style for sections, flow style for short leaf lists and maps, like the contract."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(x, str | int | float) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = (
        bool(data)
        and len(data) <= 4
        and all(isinstance(v, str | int | float) for v in data.values())
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def document_to_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def to_yaml(policy: Policy) -> str:
    return document_to_yaml(to_document(policy))


def stored_to_yaml(document: Any) -> str:
    """A stored (valid) document as YAML in the canonical key order, whatever the database did
    to the order of its object keys."""
    from routing.policy.document import parse_policy

    return to_yaml(parse_policy(document))


def content_hash(policy: Policy) -> str:
    """SHA-256 of the canonical document: equal policies have equal hashes."""
    canonical = json.dumps(to_document(policy), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
