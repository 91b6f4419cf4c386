from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit import retention, sealing, verification
from audit.models import AuditRecord, RetentionCheckpoint
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db


def _old_and_new():
    now = timezone.now()
    old = [write_record(timestamp=now - dt.timedelta(days=40, minutes=i)) for i in range(5, 0, -1)]
    new = [write_record(timestamp=now - dt.timedelta(days=1, minutes=i)) for i in range(3, 0, -1)]
    sealing.seal_pending()
    return old, new


def test_purge_keeps_a_signed_checkpoint_and_the_chain_verifies():
    _old, new = _old_and_new()
    result = retention.audit_purge(days=30)
    assert result.purged == 5 and result.through_seq == 5
    assert set(AuditRecord.objects.values_list("id", flat=True)) == {r.id for r in new}
    checkpoint = RetentionCheckpoint.objects.get()
    assert checkpoint.purged_count == 5 and checkpoint.total_purged == 5
    first_kept = AuditRecord.objects.order_by("seq").first()
    assert first_kept.prev_hash == checkpoint.last_hash and first_kept.seq == 6
    verified = verification.verify_chain()
    assert verified.ok and verified.checked == 3
    # A second purge with nothing due adds no checkpoint; a later one chains to the first.
    assert retention.audit_purge(days=30).purged == 0
    call_command("purgeaudit", "--days", "0")
    assert RetentionCheckpoint.objects.count() == 2
    assert verification.verify_chain().ok


def test_a_forged_checkpoint_breaks_verification():
    _old_and_new()
    retention.audit_purge(days=30)
    checkpoint = RetentionCheckpoint.objects.get()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_retentioncheckpoint DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE audit_retentioncheckpoint SET purged_count = 1 WHERE id = %s", [checkpoint.id]
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_retentioncheckpoint ENABLE TRIGGER ALL")
    result = verification.verify_chain()
    assert not result.ok and "checkpoint" in result.reason


def test_purge_never_cuts_a_hole_in_the_chain():
    now = timezone.now()
    write_record(timestamp=now - dt.timedelta(days=40))
    write_record(timestamp=now - dt.timedelta(days=1))
    sealing.seal_pending()
    # An old record sealed after a new one waits for a later purge.
    write_record(timestamp=now - dt.timedelta(days=41))
    sealing.seal_pending()
    assert retention.audit_purge(days=30).purged == 1
    assert AuditRecord.objects.count() == 2
    assert verification.verify_chain().ok
