"""The playground: what the proxy would do with a request under a given policy, sending nothing.

It calls the proxy's own code (routing.privacy scan and mask, routing.engine.decide) and returns
everything for display. Nothing here is stored or logged: the result lives in the response only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from routing import engine
from routing.policy.document import Policy
from routing.privacy import InvalidRequestShape, mask_request, scan_request
from routing.texts import Endpoint, format_path


@dataclass(frozen=True)
class Segment:
    text: str
    entity: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class SlotView:
    path: str
    segments: list[Segment]


@dataclass(frozen=True)
class CandidateView:
    backend: str
    residency: str
    upstream_model: str
    texts: list[tuple[str, str]]  # (slot path, text exactly as this backend would receive it)
    actions: dict[str, int]
    blocked: list[str]


@dataclass
class PlaygroundResult:
    slots: list[SlotView] = field(default_factory=list)
    entity_counts: dict[str, int] = field(default_factory=dict)
    decision: engine.Decision | None = None
    candidates: list[CandidateView] = field(default_factory=list)
    unscannable: list[str] = field(default_factory=list)
    error: str = ""


def request_body(text: str, model: str) -> tuple[dict[str, Any], Endpoint]:
    """A pasted chat/embeddings request as JSON, or plain text as one user message."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            body = json.loads(stripped)
        except ValueError:
            body = None
        if isinstance(body, dict):
            body.setdefault("model", model)
            return body, "embeddings" if "input" in body and "messages" not in body else "chat"
    return {"model": model, "messages": [{"role": "user", "content": text}]}, "chat"


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def _segments(text: str, findings: list[Any], categories: dict[str, str]) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for f in findings:
        if f.start < pos:
            continue
        if f.start > pos:
            out.append(Segment(text[pos : f.start]))
        out.append(Segment(text[f.start : f.end], f.entity, categories.get(f.entity)))
        pos = f.end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def run_playground(
    *,
    policy: Policy,
    custom: Any,
    text: str,
    model: str,
    team_slug: str = "",
    team_name: str = "",
    key_tags: tuple[str, ...] = (),
) -> PlaygroundResult:
    """Scan, decide and mask as the proxy would; returns the views, never stores them."""
    from routing.detection import DetectionError, get_detector

    result = PlaygroundResult()
    body, endpoint = request_body(text, model)
    requested = body.get("model")
    model = requested if isinstance(requested, str) else model
    try:
        scan = scan_request(body, endpoint, detector=get_detector(), custom=custom)
    except InvalidRequestShape as exc:
        result.error = f"The request is malformed at {exc}."
        return result
    except DetectionError:
        result.error = "Detection failed: the proxy would refuse this request (fail closed)."
        return result
    owners = policy.entity_categories()
    result.slots = [
        SlotView(format_path(slot.path), _segments(slot.text, found, owners))
        for slot, found in zip(scan.slots, scan.findings, strict=True)
    ]
    result.entity_counts = scan.entity_counts()
    result.unscannable = list(scan.unscannable)
    result.decision = engine.decide(
        policy=policy,
        scan=scan,
        model_alias=model,
        team_slug=team_slug,
        team_name=team_name,
        key_tags=key_tags,
    )
    rules = policy.entity_rules()
    for candidate in result.decision.candidates:
        masked = mask_request(
            body,
            scan,
            rules=rules,
            external=candidate.external,
            hash_key=settings.KORDON_HASH_KEY.encode(),
        )
        result.candidates.append(
            CandidateView(
                backend=candidate.backend.name,
                residency=candidate.backend.residency,
                upstream_model=candidate.upstream_model,
                texts=[(format_path(s.path), str(_at(masked.body, s.path))) for s in scan.slots],
                actions=dict(masked.actions),
                blocked=list(masked.blocked_entities),
            )
        )
    return result
