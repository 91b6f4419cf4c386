from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit import sealing
from audit.models import AuditRecord, ChangeEvent
from tests.audit.conftest import write_record
from tests.services import need

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    need("DATABASE_URL")
    assert connection.vendor == "postgresql"


def test_trigger_refuses_update_of_a_sealed_record(postgres):
    record = write_record()
    sealing.seal_pending()
    with pytest.raises(DatabaseError, match="sealed: UPDATE refused"), transaction.atomic():
        AuditRecord.objects.filter(id=record.id).update(status_code=500)
    with (
        pytest.raises(DatabaseError, match="sealed"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute("UPDATE audit_auditrecord SET hash = %s WHERE id = %s", ["f" * 64, record.id])


def test_trigger_lets_the_proxy_complete_an_unsealed_record(postgres):
    record = write_record(completed=False)
    assert AuditRecord.objects.filter(id=record.id).update(status_code=200) == 1


def test_trigger_refuses_delete_outside_the_purge(postgres):
    record = write_record()
    sealing.seal_pending()
    with pytest.raises(DatabaseError, match="DELETE refused"), transaction.atomic():
        AuditRecord.objects.filter(id=record.id).delete()
    # An unsealed row cannot be purged either, even with the purge flag.
    open_record = write_record(completed=False)
    with pytest.raises(DatabaseError, match="DELETE refused"), transaction.atomic():
        with connection.cursor() as c:
            c.execute("SET LOCAL kordon.purge = 'on'")
        AuditRecord.objects.filter(id=open_record.id).delete()
    assert AuditRecord.objects.count() == 2


def test_trigger_refuses_change_event_rewrites_but_allows_actor_deletion(postgres):
    user = get_user_model().objects.create_user("someone", password="x" * 14)
    event = ChangeEvent.objects.create(
        actor=user,
        actor_name="someone",
        action="create",
        target_type="t",
        target_id="1",
        target_repr="t",
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChangeEvent.objects.filter(id=event.id).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChangeEvent.objects.filter(id=event.id).delete()
    user.delete()  # ON DELETE SET NULL is the one update allowed
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_name == "someone"
