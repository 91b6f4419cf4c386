from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from audit import dashboard, sealing
from audit.models import AuditRecord
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db


def test_healthz_is_alive():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_sealing_lag(settings):
    write_record()
    sealing.seal_pending()
    body = Client().get("/readyz").json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["redis"]["configured"] == bool(settings.REDIS_URL)
    assert body["checks"]["audit_sealing"]["lag_seconds"] == 0


def test_readyz_fails_when_sealing_lags(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # no inline sealer: the lag stays
    record = write_record()
    AuditRecord.objects.filter(id=record.id).update(
        completed_at=timezone.now() - dt.timedelta(minutes=5)
    )
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["audit_sealing"]["lag_seconds"] >= 299


def test_readyz_fails_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["redis"]["ok"] is False


def test_metrics_exposition():
    write_record(latency_ms=12.0, upstream_ms=10.0, actions={"placeholder": 2})
    write_record(
        status_code=403, error_code="blocked_by_policy", backend="", residency="", upstream_ms=None
    )
    write_record(completed=False)
    sealing.seal_pending()
    dashboard.rollup_recent()
    text = Client().get("/metrics").content.decode()
    assert (
        'kordon_requests_total{outcome="served",backend="kz-local",residency="in-country",route="ids-stay-home"} 1'
        in text
    )
    assert 'kordon_requests_total{outcome="blocked"' in text
    assert 'kordon_masking_actions_total{action="placeholder"} 4' in text
    assert 'kordon_entities_detected_total{entity="KZ_IIN"} 3' in text
    assert 'kordon_gateway_overhead_seconds_bucket{le="+Inf"} 2' in text
    assert "kordon_audit_chain_head 2" in text and "kordon_audit_unsealed_records 1" in text
    assert "# TYPE kordon_upstream_seconds histogram" in text
