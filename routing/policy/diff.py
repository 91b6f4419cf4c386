"""A readable diff between two policy documents: what changed, in words, section by section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routing.policy.document import parse_policy
from routing.policy.serialize import to_document


@dataclass(frozen=True)
class Change:
    section: str  # backends | categories | masking | routes | options
    kind: str  # added | removed | changed | moved
    name: str
    details: tuple[str, ...] = ()

    def sentence(self) -> str:
        what = {
            "backends": "Backend",
            "categories": "Category",
            "masking": "Masking for",
            "routes": "Route",
            "options": "Option",
        }[self.section]
        text = f"{what} {self.name} {self.kind}"
        return f"{text}: {'; '.join(self.details)}" if self.details else text


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return "none" if value is None else str(value)


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for key in dict.fromkeys([*old, *new]):
        if key == "name" or old.get(key) == new.get(key):
            continue
        a, b = old.get(key), new.get(key)
        if isinstance(a, list | type(None)) and isinstance(b, list | type(None)):
            added = [x for x in (b or []) if x not in (a or [])]
            removed = [x for x in (a or []) if x not in (b or [])]
            if (added or removed) and set(a or []) != set(b or []):
                parts = []
                if added:
                    parts.append(f"added {_show(added)}")
                if removed:
                    parts.append(f"removed {_show(removed)}")
                out.append(f"{key.replace('_', ' ')} {' and '.join(parts)}")
                continue
        out.append(f"{key.replace('_', ' ')} changed from {_show(a)} to {_show(b)}")
    return tuple(out)


def _flat_route(route: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in route.items() if k != "when"}
    flat.update(route.get("when", {}))
    return flat


def _named(section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    flat = _flat_route if section == "routes" else dict
    before = {item["name"]: flat(item) for item in old}
    after = {item["name"]: flat(item) for item in new}
    changes = [Change(section, "removed", name) for name in before if name not in after]
    for name, item in after.items():
        if name not in before:
            details = tuple(
                f"{k.replace('_', ' ')}: {_show(v)}" for k, v in item.items() if k != "name"
            )
            changes.append(Change(section, "added", name, details))
        elif before[name] != item:
            changes.append(Change(section, "changed", name, _field_changes(before[name], item)))
    if section == "routes":
        common_old = [n for n in before if n in after]
        common_new = [n for n in after if n in before]
        if common_old != common_new:
            changes.append(Change(section, "moved", "order", (f"now {' → '.join(after)}",)))
    return changes


def _rule(rule: dict[str, Any] | None) -> str:
    if rule is None:
        return "none (kept)"
    return f"{rule['action']} ({rule.get('apply_to', 'all')})"


def describe_changes(old_doc: Any, new_doc: Any) -> list[Change]:
    """Every difference between two valid documents, as Change items in document order."""
    old = to_document(parse_policy(old_doc))
    new = to_document(parse_policy(new_doc))
    changes = _named("backends", old["backends"], new["backends"])
    changes += _named("categories", old["categories"], new["categories"])
    for name in dict.fromkeys([*old["masking"], *new["masking"]]):
        a, b = old["masking"].get(name), new["masking"].get(name)
        if a != b:
            kind = "added" if a is None else "removed" if b is None else "changed"
            changes.append(Change("masking", kind, name, (f"{_rule(a)} → {_rule(b)}",)))
    changes += _named("routes", old["routes"], new["routes"])
    old_opts, new_opts = old.get("options", {}), new.get("options", {})
    for key in dict.fromkeys([*old_opts, *new_opts]):
        if old_opts.get(key) != new_opts.get(key):
            detail = f"{_show(old_opts.get(key))} → {_show(new_opts.get(key))}"
            changes.append(Change("options", "changed", key, (detail,)))
    return changes
