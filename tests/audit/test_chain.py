from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from audit import chain, sealing, verification
from audit.models import AuditRecord, ChainHead
from tests.audit.conftest import write_record
from tests.services import need

pytestmark = pytest.mark.django_db


def test_sealed_records_verify_and_link():
    records = [write_record() for _ in range(5)]
    assert sealing.seal_pending().sealed == 5
    rows = list(AuditRecord.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == chain.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert {r.id for r in rows} == {r.id for r in records}
    result = verification.verify_chain()
    assert result.ok and result.checked == 5 and result.head_seq == 5


def test_open_records_wait_then_seal_as_incomplete():
    open_record = write_record(completed=False)
    assert sealing.seal_pending().sealed == 0
    open_record.refresh_from_db()
    assert open_record.seq is None and open_record.hash == ""
    later = timezone.now() + dt.timedelta(minutes=11)
    assert sealing.seal_pending(now=later).sealed == 1
    open_record.refresh_from_db()
    assert open_record.seq == 1 and open_record.completed_at is None
    assert verification.verify_chain().ok


def test_verify_names_first_altered_record():
    write_record()
    victim = write_record()
    write_record()
    sealing.seal_pending()
    victim.refresh_from_db()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_guard")
        cursor.execute(
            "UPDATE audit_auditrecord SET status_code = 500 WHERE id = %s",
            [victim.id.hex if connection.vendor == "sqlite" else victim.id],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_guard")
    result = verification.verify_chain()
    assert not result.ok
    assert result.broken_record == str(victim.id)
    with pytest.raises(CommandError, match=str(victim.id)):
        call_command("verifyaudit")


def test_verify_detects_a_deleted_tail():
    write_record()
    write_record()
    sealing.seal_pending()
    last = AuditRecord.objects.order_by("-seq").first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL kordon.purge = 'on'")
        cursor.execute("DELETE FROM audit_auditrecord WHERE seq = %s", [last.seq])
    result = verification.verify_chain()
    assert not result.ok and "head" in result.reason


def test_verifyaudit_command_passes_on_a_good_chain(capsys):
    write_record()
    call_command("sealaudit")
    call_command("verifyaudit")
    assert "audit chain OK: 1 records verified" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_busy_run_with_concurrent_writers_and_sealers_verifies():
    need("DATABASE_URL")
    writers, per_writer = 6, 60
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        try:
            for i in range(per_writer):
                write_record(completed=i % 10 != 0, team=f"team-{i % 3}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def sealer():
        try:
            while not stop.is_set():
                sealing.seal_pending()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in sealers + threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in sealers:
        t.join()
    assert not errors, errors
    sealing.seal_pending()
    total = writers * per_writer
    completed = total - writers * (per_writer // 10)
    assert AuditRecord.objects.filter(seq__isnull=False).count() == completed
    assert ChainHead.objects.get(id=1).seq == completed
    result = verification.verify_chain()
    assert result.ok, result
    assert result.checked == completed


def test_incremental_verification_rehashes_only_new_records_but_notices_a_moved_anchor():
    for _ in range(4):
        write_record()
    sealing.seal_pending()
    first = verification.verify_and_record()
    assert first.ok and first.checked == 4
    write_record()
    sealing.seal_pending()
    assert verification.verify_and_record(incremental=True).checked == 1
    # Rewriting the anchor record makes the incremental run fall back to the whole chain.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_guard")
        cursor.execute("UPDATE audit_auditrecord SET hash = %s WHERE seq = 5", ["e" * 64])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_guard")
    result = verification.verify_and_record(incremental=True)
    assert not result.ok and result.broken_seq == 5
