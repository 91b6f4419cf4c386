from __future__ import annotations

from routing.policy import editing
from routing.policy.diff import describe_changes
from routing.policy.document import parse_policy
from tests.routing.policy_fixtures import contract_doc


def sentences(old, new):
    return [c.sentence() for c in describe_changes(old, new)]


def test_identical_documents_have_no_changes():
    assert sentences(contract_doc(), contract_doc()) == []


def test_changes_are_described_in_words():
    new = contract_doc()
    new["categories"].append({"name": "health", "terms": ["diagnosis"], "stays_in_country": True})
    new["categories"][2]["entities"].append("IP_ADDRESS")
    new["masking"]["contact"] = {"action": "redact", "apply_to": "all"}
    new["masking"]["health"] = {"action": "hash"}
    new["routes"][1]["backends"] = ["kz-local"]
    new["backends"][1]["residency"] = "in-country"
    del new["categories"][3]
    del new["masking"]["secrets"]
    assert sentences(contract_doc(), new) == [
        "Backend cloud changed: residency changed from external to in-country",
        "Category secrets removed",
        "Category contact changed: entities added [IP_ADDRESS]",
        "Category health added: terms: [diagnosis]; stays in country: True",
        "Masking for contact changed: placeholder (external) → redact (all)",
        "Masking for secrets removed: block (all) → none (kept)",
        "Masking for health added: none (kept) → hash (all)",
        "Route default changed: backends removed [cloud]",
    ]


def test_route_order_and_conditions():
    new = editing.move_route(contract_doc(), "default", -1)
    new["routes"][1]["when"]["teams"] = ["risk"]
    assert sentences(contract_doc(), new) == [
        "Route ids-stay-home changed: teams added [risk]",
        "Route order moved: now default → ids-stay-home",
    ]


def test_renaming_a_category_carries_its_references():
    doc = contract_doc()
    item = dict(doc["categories"][0], name="gov-id")
    new = editing.upsert_item(doc, "categories", "national-id", item)
    policy = parse_policy(new)
    assert policy.masking["gov-id"].action == "placeholder"
    assert policy.routes[0].categories_any == ("gov-id", "payment")


def test_renaming_a_backend_carries_route_references():
    doc = contract_doc()
    new = editing.upsert_item(doc, "backends", "cloud", dict(doc["backends"][1], name="openai"))
    assert parse_policy(new).routes[1].backends == ("openai", "kz-local")


def test_deleting_a_category_drops_its_masking_rule():
    new = editing.delete_item(contract_doc(), "categories", "secrets")
    assert "secrets" not in parse_policy(new).masking


def test_set_masking_orders_rules_like_categories():
    new = editing.set_masking(
        contract_doc(),
        {
            "secrets": {"action": "hash", "apply_to": "all"},
            "contact": None,
            "payment": {"action": "keep", "apply_to": "all"},
        },
    )
    assert list(parse_policy(new).masking) == ["payment", "secrets"]
