"""A record's decision as a timeline: received → detected → masked → routed → answered."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.models import AuditRecord


@dataclass(frozen=True)
class Step:
    name: str
    state: str  # done | skipped | open | failed
    lines: list[tuple[str, str]] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (label, href)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "none"


def record_timeline(record: AuditRecord) -> list[Step]:
    received = Step(
        "received",
        "done",
        [
            ("at", record.timestamp.isoformat()),
            ("team", record.team),
            ("key", f"{record.key_prefix}…"),
            ("end user (keyed hash)", record.end_user[:16] + "…" if record.end_user else "—"),
            ("endpoint", record.endpoint),
            ("model requested", record.model_requested or "—"),
            ("stream", "yes" if record.stream else "no"),
        ],
    )
    entities = record.entities or {}
    detected = Step(
        "detected",
        "done" if entities else "skipped",
        [("entities", _counts(entities)), ("categories", ", ".join(record.categories) or "none")],
    )
    actions = record.actions or {}
    masked = Step("masked", "done" if actions else "skipped", [("actions", _counts(actions))])
    policy_link = None
    if record.policy_version:
        policy_link = (
            f"policy version {record.policy_version}",
            f"/policies/versions/{record.policy_version}/",
        )
    routed = Step(
        "routed",
        "done" if record.backend else ("failed" if record.error_code else "skipped"),
        [
            ("route", record.route or "—"),
            ("backend", f"{record.backend} ({record.residency})" if record.backend else "—"),
            ("fallbacks tried", ", ".join(record.fallbacks_tried) or "none"),
            ("policy version", str(record.policy_version or "—")),
        ],
        link=policy_link,
    )
    if record.completed_at is None:
        state = "open" if record.seq is None else "failed"
        note = "still open" if record.seq is None else "sealed incomplete (never completed)"
        answered = Step("answered", state, [("status", note)])
    else:
        overhead = None
        if record.latency_ms is not None and record.upstream_ms is not None:
            overhead = record.latency_ms - record.upstream_ms
        answered = Step(
            "answered",
            "done" if (record.status_code or 0) < 400 else "failed",
            [
                ("status", f"{record.status_code} {record.error_code}".strip()),
                ("tokens", f"{record.prompt_tokens or 0} in, {record.completion_tokens or 0} out"),
                ("cost", f"${record.cost}" if record.cost is not None else "—"),
                ("latency", _ms(record.latency_ms)),
                ("upstream", _ms(record.upstream_ms)),
                ("gateway overhead", _ms(overhead)),
            ],
        )
    return [received, detected, masked, routed, answered]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"
