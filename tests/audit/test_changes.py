from __future__ import annotations

import pytest
from django.db import transaction

from audit.changes import Target, change_event_record
from audit.models import ChangeEvent


@pytest.mark.django_db(transaction=True)
def test_change_event_must_be_inside_the_changing_transaction():
    with pytest.raises(RuntimeError):
        change_event_record(actor=None, action="update", target=Target("x.Y", "1", "y"))
    with transaction.atomic():
        change_event_record(actor=None, action="update", target=Target("x.Y", "1", "y"))
    assert ChangeEvent.objects.count() == 1


@pytest.mark.parametrize("field", ["secret", "digest", "password", "Token"])
def test_change_event_refuses_secrets_at_any_depth(db, field):
    with pytest.raises(ValueError):
        change_event_record(
            actor=None,
            action="update",
            target=Target("x.Y", "1", "y"),
            after={"outer": [{field: "value"}]},
        )
    assert not ChangeEvent.objects.exists()


def test_change_event_records_actor_target_and_json_safe_values(db, user_for):
    from decimal import Decimal

    admin = user_for("admin")
    event = change_event_record(
        actor=admin,
        action=ChangeEvent.Action.UPDATE,
        target=admin,
        before={"budget": Decimal("1.50")},
        after={"budget": Decimal("2.00")},
        note="raise",
    )
    event.refresh_from_db()
    assert (event.actor_name, event.target_type, event.target_id) == (
        "admin",
        "auth.User",
        str(admin.pk),
    )
    assert event.before == {"budget": "1.50"} and event.after == {"budget": "2.00"}


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        change_event_record(actor=None, action="explode", target=Target("x.Y", "1", "y"))
