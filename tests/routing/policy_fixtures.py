"""Shared inputs for the policy and engine tests: the contract's document and a scan summary."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONTRACT_YAML = (Path(__file__).parent / "contract_policy.yaml").read_text()


def contract_doc() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(CONTRACT_YAML))


@dataclass
class Scan:
    """The counts-and-kinds summary decide() reads from routing.privacy.ScanResult."""

    counts: dict[str, int] = field(default_factory=dict)
    unscannable: list[str] = field(default_factory=list)

    def entity_counts(self) -> dict[str, int]:
        return dict(self.counts)
