"""Console pages for teams and keys: the permission matrix and the main flows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import ChangeEvent
from keys.models import ApiKey, Team
from tests.conftest import PERSONAS
from tests.factories import issue_key


@pytest.fixture
def world(lead_team, other_team):
    return {
        "risk": lead_team,
        "payments": other_team,
        "key": issue_key(lead_team, "scoring")[0],
        "other_key": issue_key(other_team, "ledger")[0],
    }


def url(world, name: str) -> str:
    kind, _, which = name.partition("@")
    if kind in {"keys:team_detail", "keys:team_edit", "keys:key_create"}:
        return reverse(kind, args=[which])
    if kind in {"keys:key_detail", "keys:key_edit", "keys:key_revoke", "keys:key_rotate"}:
        return reverse(kind, args=[world[which].pk])
    return reverse(kind)


# GET: view -> status per persona, in PERSONAS order.
GET_MATRIX = {
    "keys:team_list": (302, 403, 200, 200, 200, 200),
    "keys:team_create": (302, 403, 403, 403, 403, 200),
    "keys:team_detail@risk": (302, 403, 200, 200, 200, 200),
    "keys:team_detail@payments": (302, 403, 200, 404, 200, 200),
    "keys:team_edit@risk": (302, 403, 403, 200, 403, 200),
    "keys:team_edit@payments": (302, 403, 403, 404, 403, 200),
    "keys:key_create@risk": (302, 403, 403, 200, 403, 200),
    "keys:key_create@payments": (302, 403, 403, 404, 403, 200),
    "keys:key_detail@key": (302, 403, 200, 200, 200, 200),
    "keys:key_detail@other_key": (302, 403, 200, 404, 200, 200),
    "keys:key_edit@key": (302, 403, 403, 200, 403, 200),
    "keys:key_edit@other_key": (302, 403, 403, 404, 403, 200),
    "keys:key_revoke@key": (302, 403, 403, 200, 403, 200),
    "keys:key_revoke@other_key": (302, 403, 403, 404, 403, 200),
    "keys:key_rotate@key": (302, 403, 403, 200, 403, 200),
    "keys:key_rotate@other_key": (302, 403, 403, 404, 403, 200),
}
GET_CASES = [
    (view, persona, statuses[i])
    for view, statuses in GET_MATRIX.items()
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("view", "persona", "status"), GET_CASES)
def test_get_access(world, client_for, view, persona, status):
    response = client_for(persona).get(url(world, view))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/login/")


# Forged POSTs: (view, data) -> status per persona. Allowed ones succeed (302 or 200).
POST_MATRIX = {
    "keys:team_create": ({"name": "New"}, (302, 403, 403, 403, 403, 302)),
    "keys:team_edit@risk": ({"name": "Risk", "members": []}, (302, 403, 403, 302, 403, 302)),
    "keys:team_edit@payments": ({"name": "Payments"}, (302, 403, 403, 404, 403, 302)),
    "keys:key_create@risk": ({"name": "new-key"}, (302, 403, 403, 200, 403, 200)),
    "keys:key_create@payments": ({"name": "new-key"}, (302, 403, 403, 404, 403, 200)),
    "keys:key_edit@key": ({"name": "scoring", "rpm_limit": "5"}, (302, 403, 403, 302, 403, 302)),
    "keys:key_revoke@key": ({"reason": "test"}, (302, 403, 403, 302, 403, 302)),
    "keys:key_revoke@other_key": ({"reason": "test"}, (302, 403, 403, 404, 403, 302)),
    "keys:key_rotate@key": ({"grace_seconds": "0"}, (302, 403, 403, 200, 403, 200)),
}
POST_CASES = [
    (view, persona, statuses[i])
    for view, (_, statuses) in POST_MATRIX.items()
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("view", "persona", "status"), POST_CASES)
def test_post_access_and_nothing_changes_when_refused(world, client_for, view, persona, status):
    before = ChangeEvent.objects.count()
    response = client_for(persona).post(url(world, view), POST_MATRIX[view][0])
    assert response.status_code == status
    if status not in {200, 302} or persona == "anonymous":
        assert ChangeEvent.objects.count() == before


def test_csrf_is_enforced_on_forms(world, client_for):
    client = client_for("team_lead", enforce_csrf_checks=True)
    response = client.post(url(world, "keys:key_revoke@key"), {"reason": "x"})
    assert response.status_code == 403
    assert b"The form expired" in response.content
    world["key"].refresh_from_db()
    assert world["key"].revoked_at is None


def test_lead_issues_a_key_and_sees_the_secret_once(world, client_for):
    client = client_for("team_lead")
    response = client.post(
        url(world, "keys:key_create@risk"), {"name": "chatbot", "allowed_models": "assistant"}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="chatbot")
    secret = response.context["secret"]
    assert secret.encode() in response.content and key.prefix == secret[:12]
    assert "no-store" in response["Cache-Control"]
    assert secret.encode() not in client.get(url(world, "keys:key_create@risk")).content
    assert secret.encode() not in client.get(reverse("keys:key_detail", args=[key.pk])).content
    assert key.owner.username == "team_lead"


def test_htmx_submission_returns_only_the_form_region(world, client_for):
    response = client_for("team_lead").post(
        url(world, "keys:key_create@risk"), {"name": "hx"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b'id="key-create"' in response.content and b"<html" not in response.content


def test_key_form_shows_inline_errors_for_limits_over_the_team(world, client_for):
    response = client_for("team_lead").post(
        url(world, "keys:key_create@risk"),
        {"name": "scoring", "rpm_limit": "1000", "allowed_models": "gpt-x"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "already has a key named" in form.errors["name"][0]
    assert "at most the team's limit (100)" in form.errors["rpm_limit"][0]
    assert "Not allowed for team risk" in form.errors["allowed_models"][0]
    assert b'aria-invalid="true"' in response.content
    assert ApiKey.objects.filter(team=world["risk"]).count() == 1


def test_team_lead_edits_members_only(world, client_for, user_for):
    auditor = user_for("auditor")
    response = client_for("team_lead").post(
        url(world, "keys:team_edit@risk"), {"members": [auditor.pk], "rpm_limit": "99999"}
    )
    assert response.status_code == 302
    team = Team.objects.get(slug="risk")
    assert list(team.members.all()) == [auditor] and team.rpm_limit == 100


def test_duplicate_team_name_shows_a_field_error(world, client_for):
    response = client_for("admin").post(reverse("keys:team_create"), {"name": "risk"})
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["name"][0]


def test_auditor_sees_no_create_or_revoke_controls(world, client_for):
    content = client_for("auditor").get(url(world, "keys:team_detail@risk")).content.decode()
    assert "Issue key" not in content and "Revoke" not in content and "scoring" in content


def test_team_list_query_count_is_capped(world, client_for, django_assert_max_num_queries):
    client = client_for("admin")
    for n in range(5):
        from keys import services

        services.team_create(name=f"T{n}", actor=None)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("keys:team_list")).status_code == 200


def test_team_detail_query_count_is_capped(world, client_for, django_assert_max_num_queries):
    for n in range(10):
        issue_key(world["risk"], f"extra-{n}")
    client = client_for("team_lead")
    with django_assert_max_num_queries(15):
        response = client.get(url(world, "keys:team_detail@risk"))
    assert response.status_code == 200 and len(response.context["keys"]) == 11


def test_admin_site_shows_keys_read_only_without_the_digest(world, user_for):
    from django.contrib.auth import get_user_model
    from django.test import Client

    root = get_user_model().objects.create_superuser("root", "", "root-password-123")
    client = Client()
    client.force_login(root)
    key = world["key"]
    response = client.get(f"/admin/keys/apikey/{key.pk}/change/")
    assert response.status_code == 200
    assert key.digest not in response.content.decode()
    assert client.get("/admin/keys/apikey/add/").status_code == 403
    deleted = client.post(f"/admin/keys/apikey/{key.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403 and ApiKey.objects.filter(pk=key.pk).exists()


def test_lead_rotates_a_key_with_a_grace_period(world, client_for):
    old = world["key"]
    response = client_for("team_lead").post(
        url(world, "keys:key_rotate@key"), {"grace_seconds": "3600"}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = ApiKey.objects.get(rotated_from=old)
    assert response.context["secret"][:12] == new.prefix
    old.refresh_from_db()
    assert old.state() == "active" and old.expires_at is not None
    again = client_for("team_lead").post(url(world, "keys:key_rotate@key"), {"grace_seconds": "0"})
    assert again.status_code == 400 and "already rotated" in again.content.decode()


def test_lead_edits_key_limits_with_inline_errors(world, client_for):
    client = client_for("team_lead")
    bad = client.post(url(world, "keys:key_edit@key"), {"name": "scoring", "tpm_limit": "999999"})
    assert bad.status_code == 200
    assert "at most the team's limit" in bad.context["form"].errors["tpm_limit"][0]
    good = client.post(
        url(world, "keys:key_edit@key"),
        {
            "name": "scoring",
            "tpm_limit": "500",
            "tags": "batch, nightly",
            "expires_on": "2099-01-31",
        },
    )
    assert good.status_code == 302
    key = ApiKey.objects.get(pk=world["key"].pk)
    assert key.tpm_limit == 500 and key.tags == ["batch", "nightly"]
    assert key.expires_at.isoformat() == "2099-02-01T00:00:00+00:00"
    event = ChangeEvent.objects.filter(action="update", target_type="keys.ApiKey").get()
    assert event.actor_name == "team_lead" and event.after["tpm_limit"] == 500


def test_revoke_needs_a_reason_on_the_confirmation_page(world, client_for):
    response = client_for("team_lead").post(url(world, "keys:key_revoke@key"), {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    world["key"].refresh_from_db()
    assert world["key"].revoked_at is None
