"""The console in Debian's Chromium: sign-in, a team lead's key lifecycle, an auditor's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from keys.models import ApiKey
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.factories import issue_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_rejects_a_wrong_password_then_signs_in(live_server, user_for, chromium_page):
    user_for("auditor")
    page = chromium_page
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/login/?next=/")
    shot(page, "login")
    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    sign_in(page, live_server, "auditor")
    assert page.get_by_role("heading", name="Home").is_visible()
    assert page.get_by_role("link", name="Change history").is_visible()


def test_team_lead_issues_a_key_sees_it_once_and_revokes_it(
    live_server, user_for, lead_team, chromium_page
):
    page = chromium_page
    sign_in(page, live_server, "team_lead")
    page.get_by_role("link", name="Teams & keys").click()
    page.get_by_role("link", name="Risk").click()
    page.get_by_role("link", name="Issue key").click()
    page.get_by_label("Name").fill("chatbot")
    page.get_by_label("Allowed models").fill("assistant")
    page.get_by_role("button", name="Issue key").click()

    secret_field = page.get_by_test_id("secret")
    secret_field.wait_for()
    secret = secret_field.input_value()
    assert secret.startswith("kdn_") and len(secret) >= 47
    assert page.get_by_role("button", name="Copy").is_visible()
    shot(page, "key_issued_once")
    key = ApiKey.objects.get(name="chatbot")
    assert key.prefix == secret[:12]

    page.reload()  # the secret is gone for good
    assert page.get_by_test_id("secret").count() == 0
    assert secret not in page.content()

    page.goto(f"{live_server.url}/keys/{key.pk}/")
    assert secret not in page.content()
    page.get_by_role("link", name="Revoke").click()
    shot(page, "key_revoke_confirm")
    page.get_by_label("Reason").fill("test of the revocation path")
    page.get_by_role("button", name="Revoke key").click()
    page.wait_for_url(f"**/keys/{key.pk}/")
    assert page.get_by_text("Revoked", exact=True).first.is_visible()
    key.refresh_from_db()
    assert key.revoked_reason == "test of the revocation path"


def test_key_form_shows_inline_errors(live_server, user_for, lead_team, chromium_page):
    page = chromium_page
    sign_in(page, live_server, "team_lead")
    page.goto(f"{live_server.url}/keys/teams/risk/keys/new/")
    page.get_by_label("Name").fill("too-fast")
    page.get_by_label("Requests per minute").fill("5000")
    page.get_by_role("button", name="Issue key").click()
    error = page.locator("#id_rpm_limit-errors")
    error.wait_for()
    assert "at most the team's limit (100)" in error.inner_text()
    assert page.get_by_label("Requests per minute").get_attribute("aria-invalid") == "true"
    shot(page, "key_form_errors")
    assert not ApiKey.objects.filter(name="too-fast").exists()


def test_auditor_sees_no_create_button_and_a_forged_post_is_refused(
    live_server, user_for, lead_team, chromium_page
):
    issue_key(lead_team, "scoring")
    user_for("auditor")
    page = chromium_page
    sign_in(page, live_server, "auditor")
    page.goto(f"{live_server.url}/keys/teams/risk/")
    assert page.get_by_role("link", name="Issue key").count() == 0
    assert page.get_by_role("link", name="Revoke").count() == 0
    assert page.get_by_text("scoring").first.is_visible()
    status = page.evaluate(
        """async () => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const response = await fetch('/keys/teams/risk/keys/new/', {
                method: 'POST',
                headers: {'X-CSRFToken': token, 'Content-Type': 'application/x-www-form-urlencoded'},
                body: 'name=forged',
            });
            return response.status;
        }"""
    )
    assert status == 403
    assert not ApiKey.objects.filter(name="forged").exists()


def test_screenshots_of_the_main_pages(live_server, user_for, lead_team, other_team, chromium_page):
    key, _ = issue_key(lead_team, "scoring", models=["assistant"], rpm=60, tags=["batch"])
    issue_key(other_team, "ledger")
    user_for("admin")
    page = chromium_page
    sign_in(page, live_server, "admin")
    pages = {
        "home": "/",
        "teams": "/keys/",
        "team_detail": "/keys/teams/risk/",
        "key_detail": f"/keys/{key.pk}/",
        "team_form": "/keys/teams/new/",
        "change_history": "/audit/changes/",
        "people": "/people/",
        "api_docs": "/api/docs/",
        "not_found": "/no/such/page/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert "Traceback" not in page.content()
        shot(page, name)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # rendered from vendored assets


UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map(el => el.name || el.id)"""


def test_keyboard_only_sign_in_and_every_field_labelled(
    live_server, user_for, lead_team, chromium_page
):
    user_for("admin")
    page = chromium_page
    page.goto(f"{live_server.url}/login/")
    # The username field has focus on arrival; the rest is Tab, typing and Enter.
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("Tab")  # the first stop on every page is the skip link
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for path in ("/keys/teams/new/", "/keys/teams/risk/keys/new/", "/audit/changes/", "/password/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(UNLABELLED_JS) == [], path


def test_auditor_exports_the_change_history(live_server, user_for, lead_team, chromium_page):
    issue_key(lead_team, "scoring")
    user_for("auditor")
    page = chromium_page
    sign_in(page, live_server, "auditor")
    page.get_by_role("link", name="Change history").click()
    page.get_by_label("Target type").select_option("keys.ApiKey")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**target_type=keys.ApiKey**")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("timestamp,actor_name,action") and "scoring" in text
    assert "keys.Team" not in text
