"""Hourly rollups of the audit records and the dashboard's figures computed from them.

The dashboard never reads records row by row: a Celery task (every minute; inline in eager
mode) recomputes the rollups of the last two hours, and the pages sum a few hundred rollup
rows. Budgets come from `keys.Team` looked up by app label at run time, so `audit` still
imports no other app.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from audit import charts
from audit.models import AuditAlert, AuditRecord, AuditRollup
from audit.selectors import AuditScope

# Latency histogram bucket upper bounds in ms (the last one catches everything).
BUCKETS_MS: tuple[float, ...] = (
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000, float("inf"),
)  # fmt: skip
WINDOWS = {
    "24h": (dt.timedelta(hours=24), dt.timedelta(hours=1)),
    "7d": (dt.timedelta(days=7), dt.timedelta(hours=6)),
}
BACKFILL = dt.timedelta(days=7)


def bucket_label(value: float) -> str:
    for bound in BUCKETS_MS:
        if value <= bound:
            return "inf" if bound == float("inf") else f"{bound:g}"
    return "inf"


def outcome_of(status_code: int | None, completed: bool) -> str:
    if not completed or status_code is None:
        return "open"
    if status_code < 400:
        return "served"
    return "blocked" if status_code < 500 else "failed"


def _hour(value: dt.datetime) -> dt.datetime:
    return value.replace(minute=0, second=0, microsecond=0)


ROLLUP_FIELDS = (
    "timestamp", "team", "team_id", "backend", "residency", "route", "status_code", "completed_at",
    "entities", "categories", "actions", "prompt_tokens", "completion_tokens", "cost",
    "latency_ms", "upstream_ms",
)  # fmt: skip


def _add(counts: dict[str, int], more: dict[str, Any] | list[str]) -> None:
    items = more.items() if isinstance(more, dict) else ((name, 1) for name in more)
    for name, n in items:
        counts[name] = counts.get(name, 0) + int(n)


@transaction.atomic
def rollup_hour(hour: dt.datetime) -> int:
    """Recompute one hour's rollup rows from its records; returns how many rows it wrote."""
    hour = _hour(hour)
    groups: dict[tuple[Any, ...], AuditRollup] = {}
    records = AuditRecord.objects.filter(
        timestamp__gte=hour, timestamp__lt=hour + dt.timedelta(hours=1)
    )
    for r in records.values(*ROLLUP_FIELDS).iterator(chunk_size=2000):
        sensitive = bool(r["entities"])
        outcome = outcome_of(r["status_code"], r["completed_at"] is not None)
        key = (
            r["team"],
            r["team_id"],
            r["backend"],
            r["residency"],
            r["route"],
            outcome,
            sensitive,
        )
        row = groups.get(key)
        if row is None:
            row = groups[key] = AuditRollup(
                hour=hour, team=r["team"], team_id=r["team_id"], backend=r["backend"],
                residency=r["residency"], route=r["route"], outcome=outcome, sensitive=sensitive,
                cost=Decimal(0),
            )  # fmt: skip
        row.requests += 1
        row.prompt_tokens += r["prompt_tokens"] or 0
        row.completion_tokens += r["completion_tokens"] or 0
        row.cost += r["cost"] or Decimal(0)
        _add(row.categories, r["categories"] or [])
        _add(row.entities, r["entities"] or {})
        _add(row.actions, r["actions"] or {})
        if r["latency_ms"] is not None:
            overhead = r["latency_ms"] - (r["upstream_ms"] or 0.0)
            _add(row.overhead_hist, {bucket_label(overhead): 1})
            row.overhead_sum_ms += overhead
        if r["upstream_ms"] is not None:
            _add(row.upstream_hist, {bucket_label(r["upstream_ms"]): 1})
            row.upstream_sum_ms += r["upstream_ms"]
    AuditRollup.objects.filter(hour=hour).delete()
    AuditRollup.objects.bulk_create(groups.values())
    return len(groups)


def rollup_range(start: dt.datetime, end: dt.datetime) -> int:
    written, hour = 0, _hour(start)
    while hour <= end:
        written += rollup_hour(hour)
        hour += dt.timedelta(hours=1)
    return written


def rollup_recent(*, now: dt.datetime | None = None) -> int:
    """The last two hours; on the first run, the last seven days (or since the first record)."""
    now = now or timezone.now()
    if AuditRollup.objects.exists():
        return rollup_range(now - dt.timedelta(hours=2), now)
    first = AuditRecord.objects.aggregate(first=Min("timestamp"))["first"]
    if first is None:
        return 0
    return rollup_range(max(first, now - BACKFILL), now)


def rollup_if_eager() -> None:
    """Where Celery is eager there is no beat: refresh on page view, at most once a minute."""
    if settings.CELERY_TASK_ALWAYS_EAGER and cache.add("audit:rollup-fresh", 1, timeout=60):
        rollup_recent()


def percentile(hist: dict[str, int], q: float) -> float | None:
    """The bucket bound under which a share `q` of the observations fall (an upper estimate)."""
    total = sum(hist.values())
    if not total:
        return None
    seen = 0
    for bound in BUCKETS_MS:
        label = "inf" if bound == float("inf") else f"{bound:g}"
        seen += hist.get(label, 0)
        if seen >= q * total:
            return bound
    return float("inf")


def team_budgets() -> dict[int, Decimal]:
    """Monthly budgets by team id, from keys.Team (looked up by label: no import of `keys`)."""
    try:
        team = apps.get_model("keys", "Team")
    except LookupError:
        return {}
    rows = team.objects.filter(monthly_budget_usd__isnull=False).values_list(
        "id", "monthly_budget_usd"
    )
    return dict(rows)


@dataclass
class DashboardData:
    window: str
    total: int = 0
    charts: dict[str, Any] = field(default_factory=dict)
    sensitive_total: int = 0
    sensitive_where: dict[str, int] = field(default_factory=dict)
    categories: list[tuple[str, int]] = field(default_factory=list)
    latency: dict[str, float | None] = field(default_factory=dict)
    spend: list[tuple[str, Decimal, Decimal | None]] = field(default_factory=list)
    alerts: list[AuditAlert] = field(default_factory=list)

    @property
    def sensitive_share(self) -> float:
        return 100.0 * self.sensitive_total / self.total if self.total else 0.0


def _where(row: AuditRollup) -> str:
    return row.residency if row.residency in {"in-country", "external"} else "refused"


def dashboard_data(
    *, window: str, scope: AuditScope, budgets: dict[int, Decimal], now: dt.datetime | None = None
) -> DashboardData:
    rollup_if_eager()
    window = window if window in WINDOWS else "24h"
    span, step = WINDOWS[window]
    now = now or timezone.now()
    end = _hour(now) + dt.timedelta(hours=1)
    start = end - span
    rows = AuditRollup.objects.filter(hour__gte=start, hour__lt=end)
    if not scope.all_teams:
        rows = rows.filter(team_id__in=scope.team_ids)
    slots = int(span / step)
    labels = [(start + i * step).strftime("%d %H:00") for i in range(slots)]
    residency: dict[str, list[float]] = {
        k: [0.0] * slots for k in ("in-country", "external", "refused")
    }
    outcome: dict[str, list[float]] = {
        k: [0.0] * slots for k in ("served", "blocked", "failed", "open")
    }
    route: dict[str, list[float]] = defaultdict(lambda: [0.0] * slots)
    data = DashboardData(window=window)
    categories: dict[str, int] = {}
    overhead: dict[str, int] = {}
    upstream: dict[str, int] = {}
    for row in rows:
        i = min(int((row.hour - start) / step), slots - 1)
        data.total += row.requests
        residency[_where(row)][i] += row.requests
        outcome[row.outcome][i] += row.requests
        route[row.route or "(none)"][i] += row.requests
        _add(categories, row.categories)
        _add(overhead, row.overhead_hist)
        _add(upstream, row.upstream_hist)
        if row.sensitive:
            data.sensitive_total += row.requests
            _add(data.sensitive_where, {_where(row): row.requests})
    data.categories = sorted(categories.items(), key=lambda kv: -kv[1])
    data.latency = {
        "overhead_p50": percentile(overhead, 0.5),
        "overhead_p95": percentile(overhead, 0.95),
        "upstream_p50": percentile(upstream, 0.5),
        "upstream_p95": percentile(upstream, 0.95),
    }
    data.charts = {
        "residency": charts.stacked_bars(labels, residency, title="Requests by backend residency"),
        "outcome": charts.stacked_bars(labels, outcome, title="Requests by outcome"),
        "route": charts.stacked_bars(labels, dict(route), title="Requests by route"),
        "categories": charts.hbars(
            [(name, float(n), None) for name, n in data.categories[:12]],
            title="Categories detected",
        ),
        "sensitive": charts.hbars(
            [
                (k, float(data.sensitive_where.get(k, 0)), None)
                for k in ("in-country", "external", "refused")
            ],
            title="Where requests with sensitive data went",
        ),
    }
    data.spend = _spend(scope, budgets, now)
    data.charts["spend"] = charts.hbars(
        [(team, float(cost), float(b) if b is not None else None) for team, cost, b in data.spend],
        title="Spend this month per team against its budget",
        unit="$",
    )
    data.alerts = list(AuditAlert.objects.filter(created_at__gte=now - span)[:20])
    return data


def _spend(
    scope: AuditScope, budgets: dict[int, Decimal], now: dt.datetime
) -> list[tuple[str, Decimal, Decimal | None]]:
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = AuditRollup.objects.filter(hour__gte=month)
    if not scope.all_teams:
        rows = rows.filter(team_id__in=scope.team_ids)
    spend: dict[tuple[str, int | None], Decimal] = defaultdict(Decimal)
    for team, team_id, cost in rows.values_list("team", "team_id", "cost"):
        spend[(team, team_id)] += cost
    return sorted(
        (
            (team, cost, budgets.get(team_id) if team_id else None)
            for (team, team_id), cost in spend.items()
        ),
        key=lambda item: -item[1],
    )
