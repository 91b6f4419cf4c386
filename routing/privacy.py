"""The small API the proxy and the console playground use: scan, mask, restore.

    scan = scan_request(body, "chat", detector=get_detector(), custom=active.custom)
    masked = mask_request(body, scan, rules=policy.entity_rules(), external=True, hash_key=key)
    if masked.blocked_entities: ...            # 403 blocked_by_policy
    answer = restore_json_response(answer, masked.vault)
    restorer = StreamRestorer(masked.vault)    # SSE: restorer.feed((0, "content"), delta)

Errors: `InvalidRequestShape` (400, a ValueError), `DetectionError` (detection failed) and
`MaskingError` (masking, restoring or output scanning failed); the last two refuse the request.
This module imports `routing.detection` only when it scans, so the policy layer can import
`MaskRule` from here without loading the detection engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routing.findings import Finding
from routing.masking import ACTIONS, Masked, MaskRule, ScanResult, mask_request, partial_mask
from routing.output_scan import OutputScanner, OutputScanResult, known_values, mask_output
from routing.placeholders import MaskingError, Vault
from routing.restoring import StreamRestorer, restore_json_response, restore_text
from routing.texts import Endpoint, InvalidRequestShape, TextSlot, request_texts

if TYPE_CHECKING:
    from routing.detection import CustomMatchers, Detector

__all__ = [
    "ACTIONS",
    "InvalidRequestShape",
    "MaskRule",
    "Masked",
    "MaskingError",
    "OutputScanResult",
    "OutputScanner",
    "ScanResult",
    "StreamRestorer",
    "TextSlot",
    "Vault",
    "known_values",
    "mask_output",
    "mask_request",
    "partial_mask",
    "request_texts",
    "restore_json_response",
    "restore_text",
    "scan_request",
]


def scan_request(
    body: Any,
    endpoint: Endpoint,
    *,
    detector: Detector,
    custom: CustomMatchers | None,
    entities: frozenset[str] | None = None,
) -> ScanResult:
    """Every text slot of `body` with its findings (spans in the slot's original text).

    Raises InvalidRequestShape for a malformed body and DetectionError when detection fails:
    anything unexpected from the detector is raised as DetectionError too (fail closed).
    """
    from routing.detection import DetectionError  # lazy: keeps this module light to import

    slots, unscannable = request_texts(body, endpoint)
    findings: list[list[Finding]] = []
    try:
        for slot in slots:
            found = (
                detector.detect(slot.text, entities=entities, custom=custom)
                if slot.text.strip()
                else []
            )
            findings.append(list(found))
    except DetectionError:
        raise
    except Exception as exc:
        raise DetectionError(f"detection failed ({type(exc).__name__})") from None
    return ScanResult(slots=slots, findings=findings, unscannable=unscannable)
