"""A compliance officer's walk through the policy console in Debian's Chromium, ending with the
live proxy (a separate uvicorn process) obeying what was published, seen with the openai client
against recording upstreams."""

from __future__ import annotations

import re
import time

import pytest

from routing.models import PolicyVersion
from routing.policy import services
from tests.e2e.conftest import shot, sign_in
from tests.routing.conftest import (  # noqa: F401 - fixtures
    live_server_process,
    proxy,
    upstreams,
)
from tests.routing.policy_fixtures import contract_doc

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "Patient diagnosis ICD-42, please summarise the notes."


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/**")


def test_officer_adds_a_category_tries_it_publishes_and_the_proxy_obeys(
    live_server,
    user_for,
    chromium_page,
    proxy,  # noqa: F811
):
    user_for("compliance_officer")
    user_for("admin")
    services.policy_settings_update(maker_checker=True, actor=None)
    page = chromium_page
    sign_in(page, live_server, "compliance_officer")

    page.get_by_role("link", name="Policies").click()
    page.get_by_role("button", name=re.compile("Start a draft")).click()
    page.wait_for_url("**/policies/draft/")
    page.get_by_role("link", name="Add a category").click()

    # a hostile regex: refused as the officer types, and again on save
    page.get_by_label("Name", exact=True).fill("health")
    page.get_by_label("Patterns").fill(r"(a+)+\1")
    page.locator("#pattern-check li.bad").get_by_text("RE2").wait_for()
    page.get_by_role("button", name="Save to draft").click()
    assert page.get_by_text("not a safe (RE2) regular expression").first.is_visible()
    assert services.current_draft().document["categories"][-1]["name"] != "health"

    page.get_by_label("Patterns").fill(r"\bICD-\d{2}\b")
    page.locator("#pattern-check li.ok").wait_for()
    page.get_by_label("Stays in country").check()
    shot(page, "policy_category_editor")
    page.get_by_role("button", name="Save to draft").click()
    page.wait_for_url("**/policies/draft/#categories")
    assert page.get_by_test_id("category-health").is_visible()
    assert page.get_by_text("Category health added").is_visible()

    page.get_by_role("link", name="Edit masking").click()
    page.get_by_label("health: action").select_option("redact")
    page.get_by_label("health: applies").select_option("all")
    page.get_by_role("button", name="Save to draft").click()
    page.wait_for_url("**/policies/draft/#masking")
    shot(page, "policy_draft_editor")

    # the playground, on the draft: highlight, route, masked text; nothing sent anywhere
    page.get_by_role("link", name="Try it in the playground").click()
    page.get_by_label("Prompt or request").fill(PROMPT)
    page.get_by_label("Policy").select_option("draft")
    page.get_by_role("button", name="Try it").click()
    page.get_by_test_id("highlighted").locator('mark[data-entity="HEALTH"]').wait_for()
    assert page.get_by_test_id("route").inner_text() == "default"
    assert page.get_by_test_id("backend").inner_text() == "kz-local"
    masked = page.get_by_test_id("candidate-kz-local").get_by_test_id("masked").inner_text()
    assert "<HEALTH>" in masked and "ICD-42" not in masked
    assert page.get_by_test_id("candidate-cloud").count() == 0
    shot(page, "policy_playground")
    assert proxy.all_bodies() == []

    # publish: with maker-checker on it waits for a second officer
    page.goto(f"{live_server.url}/policies/draft/")
    page.get_by_label("Comment").fill("Health data stays in country")
    page.get_by_role("button", name="Submit for approval").click()
    assert page.get_by_test_id("draft-state").inner_text() == "Pending"
    assert page.get_by_role("button", name="Approve and publish").count() == 0
    sign_out(page)

    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/policies/draft/")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(r".*/policies/versions/\d+/$"))
    approved_at = time.monotonic()
    version = PolicyVersion.objects.order_by("-number").first()
    assert (version.author_name, version.approved_by_name) == ("compliance_officer", "admin")
    assert page.get_by_test_id("approver").inner_text() == "admin"
    assert page.get_by_text("Category health added").is_visible()  # the diff names the change
    shot(page, "policy_version_diff")

    # the proxy obeys the published version within 2 s
    time.sleep(max(0.0, 2.0 - (time.monotonic() - approved_at)))
    client = proxy.client()
    response = client.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": PROMPT}]
    )
    assert response.headers["X-Kordon-Backend"] == "kz-local"
    assert proxy.up.cloud.bodies() == []
    (sent,) = proxy.up.local.bodies()
    assert "<HEALTH>" in sent["messages"][0]["content"]
    assert "ICD-42" not in str(sent)


@pytest.mark.parametrize("persona", ["team_lead", "auditor"])
def test_team_lead_and_auditor_cannot_edit(live_server, user_for, chromium_page, persona):
    services.policy_import(
        document=contract_doc(),
        actor=None,
    )
    services.policy_draft_start(actor=user_for("compliance_officer"))
    user_for(persona)
    page = chromium_page
    sign_in(page, live_server, persona)
    response = page.goto(f"{live_server.url}/policies/draft/")
    if persona == "team_lead":
        assert response.status == 403
        return
    assert response.status == 200
    assert page.get_by_role("link", name="Add a category").count() == 0
    assert page.get_by_role("button", name=re.compile("Publish|Submit")).count() == 0
    response = page.goto(f"{live_server.url}/policies/draft/categories/new/")
    assert response.status == 403
