"""Alerts on sharp shifts: the in-country share of sensitive requests drops, or blocked/failed
requests spike. Compares the last hour with the 24 hours before it, from the rollups.

Each alert is stored (the dashboard shows it) and POSTed as JSON to KORDON_ALERT_WEBHOOK_URL
when set. The same kind is raised at most once an hour. A webhook failure is recorded on the
alert, never raised: alerting must not stop the rollups.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditAlert, AuditRollup

logger = logging.getLogger(__name__)

MIN_REQUESTS = 20  # below this many requests in the hour, shares are noise
IN_COUNTRY_DROP_POINTS = 20.0  # percentage points
SPIKE_FACTOR = 3.0
SPIKE_MIN_SHARE = 10.0  # percent of the hour's requests
WEBHOOK_TIMEOUT = 5.0


@dataclass(frozen=True)
class Window:
    total: int
    blocked: int
    failed: int
    sensitive: int
    sensitive_in_country: int

    def share(self, part: int, whole: int | None = None) -> float:
        whole = self.total if whole is None else whole
        return 100.0 * part / whole if whole else 0.0


def _window(start: dt.datetime, end: dt.datetime) -> Window:
    rows = AuditRollup.objects.filter(hour__gte=start, hour__lt=end)

    def total(**kw: object) -> int:
        return int(rows.filter(**kw).aggregate(n=Sum("requests"))["n"] or 0)

    return Window(
        total=total(),
        blocked=total(outcome="blocked"),
        failed=total(outcome="failed"),
        sensitive=total(sensitive=True, outcome="served"),
        sensitive_in_country=total(sensitive=True, outcome="served", residency="in-country"),
    )


def _findings(now: dt.datetime) -> list[tuple[str, str, dict[str, float]]]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    recent = _window(hour - dt.timedelta(hours=1), hour + dt.timedelta(hours=1))
    base = _window(hour - dt.timedelta(hours=25), hour - dt.timedelta(hours=1))
    found: list[tuple[str, str, dict[str, float]]] = []
    if recent.total < MIN_REQUESTS or base.total < MIN_REQUESTS:
        return found
    if recent.sensitive >= MIN_REQUESTS // 2 and base.sensitive:
        now_share = recent.share(recent.sensitive_in_country, recent.sensitive)
        was_share = base.share(base.sensitive_in_country, base.sensitive)
        if was_share - now_share >= IN_COUNTRY_DROP_POINTS:
            found.append(
                (
                    AuditAlert.Kind.IN_COUNTRY_DROP,
                    f"In-country share of sensitive requests fell from {was_share:.0f}% to {now_share:.0f}%",
                    {"was_percent": was_share, "now_percent": now_share},
                )
            )
    for kind, attr in (
        (AuditAlert.Kind.BLOCKED_SPIKE, "blocked"),
        (AuditAlert.Kind.FAILED_SPIKE, "failed"),
    ):
        now_share = recent.share(getattr(recent, attr))
        was_share = base.share(getattr(base, attr))
        if now_share >= SPIKE_MIN_SHARE and now_share >= SPIKE_FACTOR * max(was_share, 1.0):
            found.append(
                (
                    kind,
                    f"{attr.capitalize()} requests rose to {now_share:.0f}% (from {was_share:.0f}%)",
                    {"was_percent": was_share, "now_percent": now_share},
                )
            )
    return found


def deliver(alert: AuditAlert) -> None:
    url = settings.KORDON_ALERT_WEBHOOK_URL
    if not url:
        return
    payload = {
        "source": "kordon",
        "kind": alert.kind,
        "message": alert.message,
        "details": alert.details,
        "created_at": alert.created_at.isoformat(),
    }
    try:
        response = httpx.post(url, json=payload, timeout=WEBHOOK_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        alert.delivery_error = f"{type(exc).__name__}"[:300]
        logger.warning("alert webhook failed for %s: %s", alert.kind, type(exc).__name__)
    else:
        alert.delivered_at = timezone.now()
    alert.save(update_fields=["delivered_at", "delivery_error"])


def alerts_check(*, now: dt.datetime | None = None) -> list[AuditAlert]:
    """Raise (store and deliver) every alert whose condition holds now."""
    now = now or timezone.now()
    raised = []
    for kind, message, details in _findings(now):
        if AuditAlert.objects.filter(
            kind=kind, created_at__gte=now - dt.timedelta(hours=1)
        ).exists():
            continue
        alert = AuditAlert.objects.create(
            created_at=now, kind=kind, message=message, details=details
        )
        deliver(alert)
        raised.append(alert)
    return raised
