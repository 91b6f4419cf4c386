from __future__ import annotations

from django.contrib.auth.models import Group

from console import roles


def _perms(group: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def test_roles_exist_after_migrate_with_their_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_NAMES)
    admin = _perms(roles.ADMIN)
    assert {"keys.add_team", "keys.manage_all_teams", "keys.change_apikey"} <= admin
    assert "audit.view_changeevent" in admin
    assert not {
        p
        for p in admin
        if p.startswith("audit.") and not p.split(".")[1].startswith(("view_", "export_"))
    }


def test_team_lead_has_no_global_team_permission(db):
    lead = _perms(roles.TEAM_LEAD)
    assert "keys.view_all_teams" not in lead and "keys.manage_all_teams" not in lead
    assert "keys.add_team" not in lead and "keys.add_apikey" in lead


def test_auditor_and_compliance_officer_are_read_only_on_keys(db):
    for role in (roles.AUDITOR, roles.COMPLIANCE_OFFICER):
        perms = {p for p in _perms(role) if p.startswith("keys.")}
        assert perms == {"keys.view_team", "keys.view_apikey", "keys.view_all_teams"}
    assert all(p.split(".")[1].startswith(("view_", "export_")) for p in _perms(roles.AUDITOR))
    assert "audit.view_changeevent" not in _perms(roles.COMPLIANCE_OFFICER)


def test_ensure_roles_repairs_drift_and_is_idempotent(db):
    auditor = Group.objects.get(name=roles.AUDITOR)
    auditor.permissions.clear()
    Group.objects.filter(name=roles.TEAM_LEAD).delete()
    roles.ensure_roles()
    first = {name: _perms(name) for name in roles.ROLE_NAMES}
    roles.ensure_roles()
    assert first == {name: _perms(name) for name in roles.ROLE_NAMES}
    assert "keys.view_apikey" in first[roles.AUDITOR]
