"""Prometheus metrics at `/metrics`, in the text exposition format, written by hand.

Why not prometheus_client: the figures come from the shared database (the hourly rollups and
the chain head), so every process and every replica reports the same totals without
prometheus_client's multiprocess directory, and a dozen lines of text need no dependency.
Counters are totals over the kept rollups (they only grow; rollups are not purged).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit import dashboard, sealing
from audit.models import AuditRecord, AuditRollup, ChainHead

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


def _metric(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value:g}" for labels, value in samples]
    return lines


def _histogram(name: str, help_text: str, field: str, sum_field: str) -> list[str]:
    merged: dict[str, int] = defaultdict(int)
    total_sum = 0.0
    for hist, part in AuditRollup.objects.values_list(field, sum_field).iterator():
        for bucket, n in hist.items():
            merged[bucket] += n
        total_sum += part
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    cumulative = 0
    for bound in dashboard.BUCKETS_MS:
        label = "inf" if bound == float("inf") else f"{bound:g}"
        cumulative += merged.get(label, 0)
        le = "+Inf" if label == "inf" else f"{bound / 1000:g}"
        lines.append(f'{name}_bucket{{le="{le}"}} {cumulative}')
    lines.append(f"{name}_sum {total_sum / 1000:g}")
    lines.append(f"{name}_count {cumulative}")
    return lines


def exposition() -> str:
    lines: list[str] = []
    grouped = AuditRollup.objects.values("outcome", "backend", "residency", "route").annotate(
        n=Sum("requests")
    )
    lines += _metric(
        "kordon_requests_total",
        "counter",
        "Proxy requests by outcome, backend, residency and route.",
        (
            (
                _labels(
                    outcome=g["outcome"],
                    backend=g["backend"],
                    residency=g["residency"],
                    route=g["route"],
                ),
                g["n"],
            )
            for g in grouped
        ),
    )
    entities: dict[str, int] = defaultdict(int)
    actions: dict[str, int] = defaultdict(int)
    for ents, acts in AuditRollup.objects.values_list("entities", "actions").iterator():
        for k, n in ents.items():
            entities[k] += n
        for k, n in acts.items():
            actions[k] += n
    lines += _metric(
        "kordon_entities_detected_total",
        "counter",
        "Sensitive values detected, by entity.",
        ((_labels(entity=k), v) for k, v in sorted(entities.items())),
    )
    lines += _metric(
        "kordon_masking_actions_total",
        "counter",
        "Masking actions applied, by action.",
        ((_labels(action=k), v) for k, v in sorted(actions.items())),
    )
    lines += _histogram(
        "kordon_gateway_overhead_seconds",
        "Latency added by the gateway.",
        "overhead_hist",
        "overhead_sum_ms",
    )
    lines += _histogram(
        "kordon_upstream_seconds", "Upstream (backend) latency.", "upstream_hist", "upstream_sum_ms"
    )
    head = ChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    unsealed = AuditRecord.objects.filter(seq__isnull=True).aggregate(n=Count("id"))["n"]
    lines += _metric(
        "kordon_audit_chain_head", "gauge", "Sequence number of the chain head.", [("", head)]
    )
    lines += _metric(
        "kordon_audit_unsealed_records", "gauge", "Audit records not yet sealed.", [("", unsealed)]
    )
    lines += _metric(
        "kordon_audit_seal_lag_seconds",
        "gauge",
        "Age of the oldest record waiting to be sealed.",
        [("", sealing.sealing_lag_seconds())],
    )
    return "\n".join(lines) + "\n"


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
