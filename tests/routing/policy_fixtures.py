"""Shared inputs for the policy and engine tests: the contract's document and a scan summary."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from routing.findings import Finding
from routing.privacy import ScanResult, TextSlot

CONTRACT_YAML = (Path(__file__).parent / "contract_policy.yaml").read_text()


def contract_doc() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(CONTRACT_YAML))


def Scan(counts: dict[str, int] | None = None, unscannable: list[str] | None = None) -> ScanResult:
    """A real ScanResult with `counts` findings per entity (spans are irrelevant to routing)."""
    findings = [
        Finding(entity, i, i + 1, 1.0) for entity, n in (counts or {}).items() for i in range(n)
    ]
    slots = [TextSlot(path=("messages", 0, "content"), text="x" * (len(findings) + 1))]
    return ScanResult(slots=slots, findings=[findings], unscannable=list(unscannable or []))
