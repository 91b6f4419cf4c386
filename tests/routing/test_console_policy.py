"""The policy console through the Django test client: permissions, editors, workflow, tools."""

from __future__ import annotations

import io

import pytest
import yaml
from django.urls import reverse

from routing.models import PolicyVersion
from routing.policy import services
from routing.policy.document import parse_policy
from tests.routing.policy_fixtures import CONTRACT_YAML, contract_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(db):
    return services.policy_import(document=contract_doc(), actor=None, comment="base")


@pytest.fixture
def draft(live, user_for):
    return services.policy_draft_start(actor=user_for("compliance_officer"))


READ_MATRIX = [
    ("anonymous", 302),
    ("outsider", 403),
    ("team_lead", 403),
    ("auditor", 200),
    ("compliance_officer", 200),
    ("admin", 200),
]


@pytest.mark.parametrize(("persona", "status"), READ_MATRIX)
@pytest.mark.parametrize(
    "url",
    ["routing:policy_home", "routing:draft_detail", "routing:version_list", "routing:playground"],
)
def test_read_pages_access(client_for, draft, persona, status, url):
    assert client_for(persona).get(reverse(url)).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("team_lead", 403),
        ("auditor", 403),
        ("compliance_officer", 200),
        ("admin", 200),
    ],
)
def test_only_officers_and_admins_edit(client_for, draft, persona, status):
    client = client_for(persona)
    assert client.get(reverse("routing:item_add", args=["categories"])).status_code == status
    assert client.get(reverse("routing:masking_edit")).status_code == status
    assert client.get(reverse("routing:policy_import")).status_code == status


@pytest.mark.parametrize("persona", ["team_lead", "auditor"])
def test_readers_cannot_change_the_draft(client_for, draft, persona):
    client = client_for(persona)
    data = {"name": "health", "terms": "diagnosis"}
    response = client.post(reverse("routing:item_add", args=["categories"]), data)
    assert response.status_code == 403
    response = client.post(reverse("routing:draft_publish"), {"comment": "x"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.content_hash == services.current_draft().content_hash
    assert "health" not in [c["name"] for c in draft.document["categories"]]


def test_adding_a_category_with_a_pattern(client_for, draft):
    client = client_for("compliance_officer")
    data = {
        "name": "health",
        "patterns": r"\bICD-\d{2}\b",
        "terms": "diagnosis\nдиагноз",  # noqa: RUF001
        "stays_in_country": "on",
    }
    response = client.post(reverse("routing:item_add", args=["categories"]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    health = parse_policy(draft.document).category("health")
    assert health.patterns == (r"\bICD-\d{2}\b",) and health.terms == ("diagnosis", "диагноз")
    assert health.stays_in_country
    page = client.get(reverse("routing:draft_detail")).content.decode()
    assert "Category health added" in page


def test_a_hostile_pattern_is_refused_with_a_message(client_for, draft):
    client = client_for("compliance_officer")
    data = {"name": "bad", "patterns": r"(a+)+\1"}
    response = client.post(reverse("routing:item_add", args=["categories"]), data)
    assert response.status_code == 200
    assert "RE2" in response.content.decode()
    draft.refresh_from_db()
    assert "bad" not in [c["name"] for c in draft.document["categories"]]


def test_live_pattern_check(client_for, draft):
    client = client_for("compliance_officer")
    response = client.post(reverse("routing:pattern_check"), {"patterns": "\\bok\\b\n(?=x)y\n"})
    text = response.content.decode()
    assert "valid" in text and "RE2" in text


def test_reference_errors_land_on_the_form(client_for, draft):
    client = client_for("compliance_officer")
    data = {"name": "new", "backends": "kz-local, ghost"}
    response = client.post(reverse("routing:item_add", args=["routes"]), data)
    assert response.status_code == 200
    assert "unknown backend" in response.content.decode()


def test_backend_edit_and_route_move(client_for, draft):
    client = client_for("compliance_officer")
    data = {
        "name": "cloud",
        "base_url": "https://api.example.com/v1",
        "residency": "external",
        "models": "assistant = gpt-4o-mini\nembed = text-embedding-3-small",
        "api_key_env": "CLOUD_API_KEY",
        "cost_input": "0.00015",
        "cost_output": "0.0006",
    }
    assert (
        client.post(reverse("routing:item_edit", args=["backends", "cloud"]), data).status_code
        == 302
    )
    client.post(reverse("routing:route_move", args=["default"]), {"direction": "up"})
    draft.refresh_from_db()
    policy = parse_policy(draft.document)
    assert policy.backends["cloud"].models["embed"] == "text-embedding-3-small"
    assert [r.name for r in policy.routes] == ["default", "ids-stay-home"]


def test_masking_editor(client_for, draft):
    client = client_for("compliance_officer")
    data = {}
    for name in ["national-id", "payment", "contact", "secrets", "internal-project"]:
        data[f"{name}__action"] = "hash" if name == "contact" else "redact"
        data[f"{name}__apply_to"] = "all"
    assert client.post(reverse("routing:masking_edit"), data).status_code == 302
    draft.refresh_from_db()
    assert parse_policy(draft.document).masking["contact"].action == "hash"


def test_maker_checker_flow_in_the_console(client_for, user_for, draft):
    services.policy_settings_update(maker_checker=True, actor=None)
    officer = client_for("compliance_officer")
    officer.post(
        reverse("routing:item_add", args=["categories"]), {"name": "health", "terms": "diagnosis"}
    )
    officer.post(reverse("routing:draft_publish"), {"comment": "health data"})
    draft.refresh_from_db()
    assert draft.state == PolicyVersion.State.PENDING
    # the maker cannot approve their own draft
    officer.post(reverse("routing:draft_approve"), {"content_hash": draft.content_hash})
    draft.refresh_from_db()
    assert draft.state == PolicyVersion.State.PENDING
    admin = client_for("admin")
    page = admin.get(reverse("routing:draft_detail")).content.decode()
    assert "Approve and publish" in page
    response = admin.post(reverse("routing:draft_approve"), {"content_hash": draft.content_hash})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.number == 2 and draft.approved_by_name == "admin"
    assert draft.author_name == "compliance_officer"
    detail = admin.get(reverse("routing:version_detail", args=[2])).content.decode()
    assert "Category health added" in detail


def test_diff_and_rollback_and_export(client_for, live):
    doc = contract_doc()
    doc["routes"] = doc["routes"][1:]
    services.policy_import(document=doc, actor=None)
    client = client_for("compliance_officer")
    diff = client.get(reverse("routing:version_diff"), {"a": 1, "b": 2}).content.decode()
    assert "Route ids-stay-home removed" in diff
    exported = client.get(reverse("routing:version_export", args=[1])).content.decode()
    assert parse_policy(yaml.safe_load(exported)) == parse_policy(contract_doc())
    response = client.post(reverse("routing:version_rollback", args=[1]), {"comment": "undo"})
    assert response.status_code == 302
    assert PolicyVersion.objects.get(number=3).content_hash == live.content_hash
    assert (
        client_for("auditor").post(reverse("routing:version_rollback", args=[1])).status_code == 403
    )


def test_import_in_the_browser_reports_every_error(client_for, live):
    client = client_for("compliance_officer")
    bad = CONTRACT_YAML.replace("residency: external", "residency: abroad").replace(
        "action: block", "action: nuke"
    )
    upload = io.BytesIO(bad.encode())
    upload.name = "p.yaml"
    response = client.post(reverse("routing:policy_import"), {"file": upload})
    text = response.content.decode()
    assert "backends[1].residency: must be one of" in text
    assert "masking.secrets.action: must be one of" in text
    assert services.current_draft() is None
    good = io.BytesIO(CONTRACT_YAML.replace("ids-stay-home", "ids-home").encode())
    good.name = "p.yaml"
    assert client.post(reverse("routing:policy_import"), {"file": good}).status_code == 302
    assert parse_policy(services.current_draft().document).routes[0].name == "ids-home"


def test_playground_highlights_and_masks_without_storing(client_for, draft):
    from audit.models import AuditRecord, ChangeEvent

    before = ChangeEvent.objects.count()
    client = client_for("auditor")
    data = {
        "text": "Mail ivan.petrov@example.kz about Nightingale",
        "source": "draft",
        "model": "assistant",
        "team": "",
        "key_tags": "",
    }
    response = client.post(reverse("routing:playground"), data)
    text = response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    assert 'data-entity="EMAIL_ADDRESS"' in text
    assert "&lt;EMAIL_ADDRESS_1&gt;" in text and "&lt;INTERNAL_PROJECT&gt;" in text
    assert ChangeEvent.objects.count() == before and not AuditRecord.objects.exists()


def test_settings_toggle(client_for):
    client = client_for("compliance_officer")
    client.post(reverse("routing:policy_settings"), {"maker_checker": "on"})
    assert services.maker_checker_enabled() is True
    client.post(reverse("routing:policy_settings"), {})
    assert services.maker_checker_enabled() is False
    assert client_for("auditor").get(reverse("routing:policy_settings")).status_code == 403


def test_impact_and_selftest_pages(client_for, draft):
    client = client_for("compliance_officer")
    assert client.get(reverse("routing:draft_impact")).status_code == 200
    page = client.get(reverse("routing:draft_selftest")).content.decode()
    assert "national-id" in page


def test_echo_backend_health(client_for, live):
    doc = contract_doc()
    doc["backends"][0]["base_url"] = "echo://"
    services.policy_import(document=doc, actor=None)
    page = (
        client_for("auditor")
        .get(reverse("routing:backend_health", args=["kz-local"]))
        .content.decode()
    )
    assert "reachable" in page
    page = (
        client_for("auditor")
        .get(reverse("routing:backend_health", args=["cloud"]))
        .content.decode()
    )
    assert "unreachable" in page


def test_draft_page_flags_a_weaker_detection_before_publishing(client_for, draft):
    client = client_for("compliance_officer")
    doc = dict(draft.document)
    doc["categories"] = [dict(c) for c in doc["categories"]]
    doc["categories"][0]["entities"] = ["KZ_BIN", "US_SSN", "RU_INN", "RU_SNILS", "RU_PASSPORT"]
    services.policy_draft_update(draft=draft, document=doc, actor=None)
    page = client.get(reverse("routing:draft_detail")).content.decode()
    assert 'data-testid="selftest-lowered"' in page and "national-id" in page


WRITE_ENDPOINTS = [
    ("routing:draft_start", []),
    ("routing:draft_discard", []),
    ("routing:draft_publish", []),
    ("routing:draft_approve", []),
    ("routing:draft_reject", []),
    ("routing:pattern_check", []),
    ("routing:masking_edit", []),
    ("routing:policy_import", []),
    ("routing:policy_settings", []),
    ("routing:route_move", ["default"]),
    ("routing:item_delete", ["routes", "default"]),
    ("routing:item_edit", ["backends", "cloud"]),
    ("routing:version_rollback", [1]),
]


@pytest.mark.parametrize("persona", ["outsider", "team_lead", "auditor"])
@pytest.mark.parametrize(("name", "args"), WRITE_ENDPOINTS)
def test_write_endpoints_refuse_non_officers(client_for, draft, persona, name, args):
    before = list(PolicyVersion.objects.values_list("pk", "state", "content_hash"))
    response = client_for(persona).post(reverse(name, args=args), {"comment": "x", "reason": "x"})
    assert response.status_code == 403
    assert list(PolicyVersion.objects.values_list("pk", "state", "content_hash")) == before


@pytest.mark.parametrize(("name", "args"), WRITE_ENDPOINTS)
def test_write_endpoints_send_anonymous_to_sign_in(client_for, draft, name, args):
    response = client_for("anonymous").post(reverse(name, args=args))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_pages_have_bounded_queries(client_for, live, django_assert_max_num_queries):
    for i in range(5):
        doc = contract_doc()
        doc["routes"][1]["name"] = f"default-{i}"
        services.policy_import(document=doc, actor=None)
    client = client_for("auditor")
    for url in ("routing:version_list", "routing:policy_home"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(url)).status_code == 200


def test_route_editor_writes_conditions_and_fallback_order(client_for, draft):
    client = client_for("compliance_officer")
    data = {
        "name": "risk-team",
        "categories_any": ["contact"],
        "categories_none": ["payment"],
        "teams": "risk, Payments",
        "models": ["assistant"],
        "key_tags": "batch",
        "backends": "kz-local, cloud",
    }
    assert client.post(reverse("routing:item_add", args=["routes"]), data).status_code == 302
    route = parse_policy(services.current_draft().document).routes[-1]
    assert route.categories_any == ("contact",) and route.categories_none == ("payment",)
    assert route.teams == ("risk", "Payments") and route.models == ("assistant",)
    assert route.key_tags == ("batch",) and route.backends == ("kz-local", "cloud")
    page = client.get(reverse("routing:item_edit", args=["routes", "risk-team"])).content.decode()
    assert 'value="kz-local, cloud"' in page


def test_category_editor_round_trips_entities(client_for, draft):
    client = client_for("compliance_officer")
    page = client.get(reverse("routing:item_edit", args=["categories", "contact"])).content.decode()
    assert "EMAIL_ADDRESS — E-mail address" in page
    data = {"name": "contact", "entities": ["EMAIL_ADDRESS", "IP_ADDRESS"]}
    assert (
        client.post(reverse("routing:item_edit", args=["categories", "contact"]), data).status_code
        == 302
    )
    contact = parse_policy(services.current_draft().document).category("contact")
    assert contact.entities == ("EMAIL_ADDRESS", "IP_ADDRESS")


def test_options_editor(client_for, draft):
    client = client_for("compliance_officer")
    assert client.get(reverse("routing:options_edit")).status_code == 200
    data = {"unscannable_parts": "refuse", "output_scan": ["contact", "secrets"]}
    assert client.post(reverse("routing:options_edit"), data).status_code == 302
    options = parse_policy(services.current_draft().document).options
    assert options.unscannable_parts == "refuse" and options.output_scan == ("contact", "secrets")
    assert client_for("auditor").post(reverse("routing:options_edit"), data).status_code == 403
