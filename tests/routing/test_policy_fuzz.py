"""Generated broken policy documents: the validator reports `path: reason`, never crashes.

Each document is the contract's, with one to three of its values (at any depth) replaced by a
value of another type, deleted, or given an unknown sibling. Validation must either accept the
document or raise `PolicyInvalid` with every error naming a path inside the document; an
accepted document must survive export and re-import unchanged.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from routing.policy.document import PolicyInvalid, parse_policy
from routing.policy.serialize import to_document
from tests.generated import json_leaves, json_values, probe_settings
from tests.routing.policy_fixtures import contract_doc

# Plain steps (`backends[0].models.qwen2.5:7b`); any other key is one JSON-quoted step.
_STEP = r'(\[\d+\]|\["(?:[^"\\\x00-\x1f]|\\.)*"\])'
_NAME = r"[\w.:/-]+"
PATH = re.compile(rf"^(document|({_NAME}|{_STEP})({_STEP}|\.{_NAME})*)$")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

value = json_values(json_leaves("\\", "[", "(?P<x>", "a{99999}", "echo://", "external", nan=True))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*path, i))
    return found


@st.composite
def broken_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(contract_doc())
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "delete", "extra"]))
        if how == "replace":
            parent[path[-1]] = draw(value)
        elif how == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=6))] = draw(value)
        else:
            parent.append(draw(value))
    return doc


@probe_settings(400)
@given(broken_documents())
def test_broken_documents_are_refused_path_by_path_or_accepted_whole(doc):
    try:
        policy = parse_policy(doc)
    except PolicyInvalid as invalid:
        assert invalid.errors
        for path, reason in invalid.errors:
            assert PATH.match(path), (path, reason)
            assert reason and isinstance(reason, str)
            assert not CONTROL.search(path + reason), (path, reason)  # printed to a terminal
        return
    again = parse_policy(to_document(policy))
    assert to_document(again) == to_document(policy)
