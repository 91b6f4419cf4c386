from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from audit import tasks
from audit.models import AuditRecord, AuditRollup, ChainVerification, RetentionCheckpoint
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db


def test_beat_schedule_runs_every_audit_task():
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert scheduled["audit.tasks.audit_seal_task"] <= 10  # every record sealed within 60 s
    assert scheduled["audit.tasks.audit_purge_task"] == 86400
    for name in scheduled:
        assert hasattr(tasks, name.rsplit(".", 1)[1])


def test_tasks_seal_roll_up_verify_and_purge(settings):
    settings.KORDON_AUDIT_RETENTION_DAYS = 30
    write_record(timestamp=timezone.now() - dt.timedelta(days=40))
    write_record()
    assert tasks.audit_seal_task.apply().get() == 2
    assert tasks.audit_rollup_task.apply().get() >= 1 and AuditRollup.objects.exists()
    assert tasks.audit_verify_task.apply().get() is True
    assert ChainVerification.objects.get().ok
    assert tasks.audit_purge_task.apply().get() == 1
    assert RetentionCheckpoint.objects.get().last_seq == 1 and AuditRecord.objects.count() == 1
    assert tasks.audit_verify_task.apply().get() is True
    assert tasks.audit_alerts_task.apply().get() == 0
