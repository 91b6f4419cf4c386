"""Small, pure edits of a policy document, as the console's editors make them.

Each function takes a document (plain data) and returns a NEW document; the caller validates the
result as a whole (services.policy_draft_update), so an edit that breaks a reference is refused
with the usual `path.to.field: reason` messages. Renames carry their references along.
"""

from __future__ import annotations

import copy
from typing import Any

Document = dict[str, Any]


def _copy(doc: Document) -> Document:
    return copy.deepcopy(doc)


def _index(items: list[dict[str, Any]], name: str) -> int:
    for i, item in enumerate(items):
        if item.get("name") == name:
            return i
    raise KeyError(name)


def upsert_item(
    doc: Document, section: str, old_name: str | None, item: dict[str, Any]
) -> Document:
    """Replace the entry called `old_name` in `section` (or append when None), keeping its place."""
    out = _copy(doc)
    items = out.setdefault(section, [])
    if old_name is None:
        items.append(item)
        return out
    items[_index(items, old_name)] = item
    new_name = item.get("name")
    if new_name and new_name != old_name:
        _rename(out, section, old_name, new_name)
    return out


def delete_item(doc: Document, section: str, name: str) -> Document:
    """Remove an entry; a category's masking rule goes with it (a rule for nothing is noise)."""
    out = _copy(doc)
    items = out.get(section, [])
    del items[_index(items, name)]
    if section == "categories":
        out.get("masking", {}).pop(name, None)
    return out


def move_route(doc: Document, name: str, delta: int) -> Document:
    """Move a route up (delta -1) or down (+1); order is meaning: the first match wins."""
    out = _copy(doc)
    routes = out["routes"]
    i = _index(routes, name)
    j = max(0, min(len(routes) - 1, i + delta))
    routes.insert(j, routes.pop(i))
    return out


def set_masking(doc: Document, rules: dict[str, dict[str, str] | None]) -> Document:
    """Set the rule per category (None: no rule, values are kept), in category order."""
    out = _copy(doc)
    names = [c.get("name") for c in out.get("categories", [])]
    masking = {n: r for n, r in rules.items() if r is not None}
    out["masking"] = {n: masking[n] for n in names if n in masking}
    return out


def _rename(doc: Document, section: str, old: str, new: str) -> None:
    if section == "backends":
        for route in doc.get("routes", []):
            route["backends"] = [new if b == old else b for b in route.get("backends", [])]
    elif section == "categories":
        masking = doc.get("masking", {})
        if old in masking:
            doc["masking"] = {(new if k == old else k): v for k, v in masking.items()}
        for route in doc.get("routes", []):
            when = route.get("when", {})
            for key in ("categories_any", "categories_none"):
                if key in when:
                    when[key] = [new if c == old else c for c in when[key]]
        options = doc.get("options", {})
        if "output_scan" in options:
            options["output_scan"] = [new if c == old else c for c in options["output_scan"]]


def set_options(doc: Document, options: dict[str, Any]) -> Document:
    out = _copy(doc)
    out["options"] = dict(options)
    return out
