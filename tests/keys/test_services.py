from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import ChangeEvent
from keys import hashing, services
from keys.models import ApiKey, Team
from tests.factories import issue_key


def _events(target) -> list[ChangeEvent]:
    return list(
        ChangeEvent.objects.filter(target_type=target._meta.label, target_id=str(target.pk))
    )


def _no_secret_in(event: ChangeEvent, secret: str, key: ApiKey) -> None:
    text = f"{event.before} {event.after} {event.note} {event.target_repr}"
    assert secret not in text
    assert key.digest not in text
    assert secret[12:20] not in text  # not even a fragment past the visible prefix


def test_key_create_stores_only_the_digest_and_records_a_change_event(lead_team, user_for):
    lead = user_for("team_lead")
    key, secret = services.key_create(
        team=lead_team, name="scoring", actor=lead, owner=lead, models=["assistant"], rpm=10
    )
    key.refresh_from_db()
    assert key.prefix == secret[:12]
    assert key.digest == hashing.key_digest(secret)
    assert all(secret not in str(getattr(key, f.attname)) for f in ApiKey._meta.fields)
    [event] = _events(key)
    assert event.action == ChangeEvent.Action.CREATE
    assert event.actor == lead and event.actor_name == "team_lead"
    assert event.after["prefix"] == key.prefix and event.after["rpm_limit"] == 10
    _no_secret_in(event, secret, key)


def test_key_limits_must_stay_within_the_team(lead_team):
    with pytest.raises(ValidationError) as info:
        services.key_create(
            team=lead_team, name="greedy", actor=None, models=["gpt-5"], rpm=101, budget="501"
        )
    errors = info.value.message_dict
    assert set(errors) == {"allowed_models", "rpm_limit", "monthly_budget_usd"}
    assert "at most the team's limit (100)" in errors["rpm_limit"][0]
    assert not ApiKey.objects.exists()
    assert not ChangeEvent.objects.filter(target_type="keys.ApiKey").exists()


def test_duplicate_key_name_in_team_is_refused_clearly(lead_team):
    issue_key(lead_team, "app")
    with pytest.raises(ValidationError) as info:
        issue_key(lead_team, "APP")
    assert info.value.message_dict["name"] == ["Team risk already has a key named 'APP'."]
    assert ApiKey.objects.count() == 1


def test_duplicate_team_name_is_refused_clearly(db):
    services.team_create(name="Risk", actor=None)
    with pytest.raises(ValidationError) as info:
        services.team_create(name="risk", actor=None)
    assert "already exists" in info.value.message_dict["name"][0]


def test_invalid_values_are_all_reported(lead_team):
    with pytest.raises(ValidationError) as info:
        services.key_create(
            team=lead_team,
            name="  ",
            actor=None,
            rpm=0,
            tpm="many",
            budget="-1",
            tags=["Bad Tag!"],
            expires_at=timezone.now() - dt.timedelta(days=1),
        )
    assert set(info.value.message_dict) == {
        "name",
        "rpm_limit",
        "tpm_limit",
        "monthly_budget_usd",
        "tags",
        "expires_at",
    }


def test_key_revoke_records_reason_and_bumps_version_after_commit(
    lead_team, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    settings.REDIS_URL = ""
    key, secret = issue_key(lead_team)
    from keys.versioning import keys_version

    before = keys_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.key_revoke(key=key, actor=None, reason="leaked in a ticket")
    assert len(callbacks) == 1
    assert keys_version() != before
    key.refresh_from_db()
    assert key.state() == ApiKey.State.REVOKED
    event = ChangeEvent.objects.get(action=ChangeEvent.Action.REVOKE)
    assert event.note == "leaked in a ticket" and event.actor_name == "system"
    assert event.before["revoked_at"] is None and event.after["revoked_at"]
    _no_secret_in(event, secret, key)
    with pytest.raises(ValidationError):
        services.key_revoke(key=key, actor=None, reason="again")


def test_revoke_needs_a_reason(lead_team):
    key, _ = issue_key(lead_team)
    with pytest.raises(ValidationError) as info:
        services.key_revoke(key=key, actor=None, reason="   ")
    assert "reason" in info.value.message_dict
    key.refresh_from_db()
    assert key.revoked_at is None


def test_rotate_gives_a_new_secret_and_a_grace_period_for_the_old(lead_team):
    old, old_secret = issue_key(lead_team, "batch", rpm=50, tags=["batch"])
    new, new_secret = services.key_rotate(key=old, actor=None, grace_seconds=3600)
    old.refresh_from_db()
    assert new_secret != old_secret and new.rotated_from == old
    assert new.name == "batch" and new.rpm_limit == 50 and new.tags == ["batch"]
    assert old.name == f"batch (replaced {old.prefix})"
    remaining = old.expires_at - timezone.now()
    assert dt.timedelta(minutes=59) < remaining <= dt.timedelta(hours=1)
    assert old.state() == ApiKey.State.ACTIVE  # still works during the grace period
    assert old.state(now=timezone.now() + dt.timedelta(hours=2)) == ApiKey.State.EXPIRED
    rotate = ChangeEvent.objects.get(action=ChangeEvent.Action.ROTATE)
    assert rotate.after["replaced_by"] == new.prefix
    _no_secret_in(rotate, new_secret, new)
    with pytest.raises(ValidationError):
        services.key_rotate(key=old, actor=None)  # one rotation per key


def test_rotate_without_grace_expires_the_old_key_at_once(lead_team):
    old, _ = issue_key(lead_team)
    services.key_rotate(key=old, actor=None, grace_seconds=0)
    old.refresh_from_db()
    assert old.state() == ApiKey.State.EXPIRED


def test_key_update_changes_limits_and_records_before_and_after(lead_team):
    key, _ = issue_key(lead_team, rpm=10)
    services.key_update(key=key, actor=None, rpm=20, tags=["etl"])
    key.refresh_from_db()
    assert key.rpm_limit == 20 and key.tags == ["etl"]
    event = ChangeEvent.objects.get(action=ChangeEvent.Action.UPDATE)
    assert event.before["rpm_limit"] == 10 and event.after["rpm_limit"] == 20
    with pytest.raises(ValidationError):
        services.key_update(key=key, actor=None, rpm=1000)
    key.refresh_from_db()
    assert key.rpm_limit == 20


def test_team_update_records_change_and_nothing_when_unchanged(lead_team, user_for):
    services.team_update(team=lead_team, actor=None, rpm_limit=200, members=[user_for("auditor")])
    lead_team.refresh_from_db()
    assert lead_team.rpm_limit == 200
    event = ChangeEvent.objects.filter(action=ChangeEvent.Action.UPDATE).get()
    assert event.after["members"] == ["auditor"] and event.before["rpm_limit"] == 100
    services.team_update(team=lead_team, actor=None, rpm_limit=200)
    assert ChangeEvent.objects.filter(action=ChangeEvent.Action.UPDATE).count() == 1


def test_team_create_normalises_values(db):
    team = services.team_create(
        name="  Data   Science ", actor=None, monthly_budget_usd="12.5", allowed_models=["a", "a"]
    )
    assert team.name == "Data Science" and team.slug == "data-science"
    assert team.monthly_budget_usd == Decimal("12.5") and team.allowed_models == ["a"]
    assert Team.objects.count() == 1
