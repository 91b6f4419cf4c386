"""Celery tasks of the audit trail; the beat schedule lives in console/settings.py."""

from __future__ import annotations

from celery import shared_task

from audit import alerts, dashboard, exports, retention, sealing, verification


@shared_task(ignore_result=True)
def audit_seal_task() -> int:
    return sealing.seal_pending().sealed


@shared_task(ignore_result=True)
def audit_purge_task() -> int:
    return retention.audit_purge().purged


@shared_task(ignore_result=True)
def audit_verify_task() -> bool:
    return verification.verify_scheduled().ok


@shared_task(ignore_result=True)
def audit_rollup_task() -> int:
    return dashboard.rollup_recent()


@shared_task(ignore_result=True)
def audit_alerts_task() -> int:
    return len(alerts.alerts_check())


@shared_task(ignore_result=True, autoretry_for=(OSError,), max_retries=2)
def audit_export_task(export_id: str) -> None:
    exports.export_run(export_id=export_id)
