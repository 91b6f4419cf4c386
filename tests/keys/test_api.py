"""Management API under /api/: permission matrix, field errors, the secret shown once."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import ChangeEvent
from console import tokens
from keys.models import ApiKey, Team
from tests.conftest import PERSONAS
from tests.factories import issue_key


@pytest.fixture
def world(lead_team, other_team):
    key, _ = issue_key(lead_team, "scoring")
    other, _ = issue_key(other_team, "ledger")
    return {"key": key.pk, "other_key": other.pk}


@pytest.fixture
def api_for(user_for):
    def make(persona: str) -> APIClient:
        client = APIClient()
        user = user_for(persona)
        if user is not None:
            client.force_login(user)
        return client

    return make


def _path(world, template: str) -> str:
    return template.format(**world)


# (method, path, body) -> expected status per persona, in PERSONAS order
# (anonymous, outsider, compliance_officer, team_lead, auditor, admin).
MATRIX = [
    ("get", "/api/teams/", None, (403, 403, 200, 200, 200, 200)),
    ("get", "/api/teams/risk/", None, (403, 403, 200, 200, 200, 200)),
    ("get", "/api/teams/payments/", None, (403, 403, 200, 404, 200, 200)),
    ("post", "/api/teams/", {"name": "New"}, (403, 403, 403, 403, 403, 201)),
    ("patch", "/api/teams/risk/", {"rpm_limit": 5}, (403, 403, 403, 403, 403, 200)),
    ("patch", "/api/teams/risk/", {"members": ["team_lead"]}, (403, 403, 403, 200, 403, 200)),
    ("patch", "/api/teams/payments/", {"members": []}, (403, 403, 403, 404, 403, 200)),
    ("delete", "/api/teams/risk/", None, (403, 403, 403, 403, 403, 405)),
    ("get", "/api/keys/", None, (403, 403, 200, 200, 200, 200)),
    ("get", "/api/keys/{key}/", None, (403, 403, 200, 200, 200, 200)),
    ("get", "/api/keys/{other_key}/", None, (403, 403, 200, 404, 200, 200)),
    ("post", "/api/keys/", {"team": "risk", "name": "n"}, (403, 403, 403, 201, 403, 201)),
    ("post", "/api/keys/", {"team": "payments", "name": "n"}, (403, 403, 403, 403, 403, 201)),
    ("patch", "/api/keys/{key}/", {"rpm_limit": 7}, (403, 403, 403, 200, 403, 200)),
    ("post", "/api/keys/{key}/revoke/", {"reason": "x"}, (403, 403, 403, 200, 403, 200)),
    ("post", "/api/keys/{other_key}/revoke/", {"reason": "x"}, (403, 403, 403, 404, 403, 200)),
    ("post", "/api/keys/{key}/rotate/", {"grace_seconds": 60}, (403, 403, 403, 201, 403, 201)),
    ("delete", "/api/keys/{key}/", None, (403, 403, 403, 403, 403, 405)),
]
CASES = [
    pytest.param(method, path, body, persona, statuses[i], id=f"{method}-{path}-{persona}")
    for method, path, body, statuses in MATRIX
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("method", "path", "body", "persona", "status"), CASES)
def test_api_access(world, api_for, method, path, body, persona, status):
    before = ChangeEvent.objects.count()
    response = getattr(api_for(persona), method)(_path(world, path), body, format="json")
    assert response.status_code == status, response.content
    if status >= 400:
        assert ChangeEvent.objects.count() == before


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
@pytest.mark.parametrize(
    ("persona", "status"), [(p, 302 if p == "anonymous" else 200) for p in PERSONAS]
)
def test_schema_and_docs_access(client_for, path, persona, status):
    assert client_for(persona).get(path).status_code == status


def test_docs_page_uses_vendored_assets(client_for):
    content = client_for("admin").get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in content
    assert "cdn" not in content.lower()


def test_key_create_returns_the_secret_once(world, api_for):
    client = api_for("team_lead")
    response = client.post(
        "/api/keys/",
        {"team": "risk", "name": "bot", "allowed_models": ["assistant"]},
        format="json",
    )
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert secret.startswith("kdn_") and response["Cache-Control"] == "no-store"
    listing = client.get("/api/keys/").content.decode()
    detail = client.get(f"/api/keys/{response.json()['id']}/").content.decode()
    assert secret not in listing and secret not in detail
    assert "digest" not in detail


def test_api_field_errors_are_400_with_fields(world, api_for):
    client = api_for("team_lead")
    response = client.post(
        "/api/keys/",
        {"team": "risk", "name": "scoring", "rpm_limit": 1000, "allowed_models": ["x"]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"name", "rpm_limit", "allowed_models"}
    response = client.post("/api/keys/", {"team": "risk", "rpm_limit": "many"}, format="json")
    assert response.status_code == 400 and {"name", "rpm_limit"} <= set(response.json())
    assert ApiKey.objects.filter(team__slug="risk").count() == 1


def test_duplicate_team_via_api_is_400(world, api_for):
    response = api_for("admin").post("/api/teams/", {"name": "RISK"}, format="json")
    assert response.status_code == 400 and "already exists" in response.json()["name"][0]
    assert Team.objects.count() == 2


def test_team_lead_cannot_raise_team_limits(world, api_for):
    response = api_for("team_lead").patch(
        "/api/teams/risk/", {"rpm_limit": 10_000, "members": []}, format="json"
    )
    assert response.status_code == 403
    assert Team.objects.get(slug="risk").rpm_limit == 100


def test_admin_token_authenticates_automation(world, user_for):
    admin = user_for("admin")
    _token, secret = tokens.api_token_create(user=admin, name="ci", actor=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = client.post("/api/keys/", {"team": "payments", "name": "ci"}, format="json")
    assert response.status_code == 201
    assert ChangeEvent.objects.filter(actor=admin, target_type="keys.ApiKey").exists()


def test_token_of_a_non_admin_is_refused(world, user_for):
    admin = user_for("admin")
    _token, secret = tokens.api_token_create(user=admin, name="ci", actor=None)
    admin.groups.clear()  # no longer an admin: the token stops working at once
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/keys/").status_code in {401, 403}


def test_session_api_writes_need_csrf(world, user_for):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user_for("team_lead"))
    response = client.post("/api/keys/", {"team": "risk", "name": "x"}, format="json")
    assert response.status_code == 403
    assert not ApiKey.objects.filter(name="x").exists()


def test_key_list_query_count_is_capped(world, api_for, lead_team, django_assert_max_num_queries):
    for n in range(20):
        issue_key(lead_team, f"bulk-{n}")
    client = api_for("admin")
    with django_assert_max_num_queries(10):
        response = client.get("/api/keys/")
    assert response.status_code == 200 and response.json()["count"] == 22
