"""Liveness (`/healthz`) and readiness (`/readyz`: database, Redis when configured, sealing lag).

Plain Django views without sessions or auth: load balancers call them. They reveal states and
ages, never a record.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit import sealing


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
        return {"ok": True, "configured": True}
    except redis.RedisError as exc:
        return {"ok": False, "configured": True, "error": type(exc).__name__}


def _sealing() -> dict[str, Any]:
    try:
        sealing.seal_if_eager()
        lag = sealing.sealing_lag_seconds()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    limit = settings.KORDON_AUDIT_MAX_SEAL_LAG_SECONDS
    return {"ok": lag <= limit, "lag_seconds": round(lag, 1), "max_lag_seconds": limit}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "redis": _redis()}
    checks["audit_sealing"] = _sealing() if checks["database"]["ok"] else {"ok": False}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
