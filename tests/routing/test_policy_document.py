from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from routing.policy.document import PolicyInvalid, parse_policy
from routing.policy.serialize import content_hash, to_document, to_yaml
from tests.routing.policy_fixtures import CONTRACT_YAML, contract_doc


def errors_of(doc) -> dict[str, str]:
    with pytest.raises(PolicyInvalid) as info:
        parse_policy(doc)
    return dict(info.value.errors)


def test_contract_document_imports_unchanged():
    policy = parse_policy(yaml.safe_load(CONTRACT_YAML))
    assert list(policy.backends) == ["kz-local", "cloud"]
    cloud = policy.backends["cloud"]
    assert cloud.external and not policy.backends["kz-local"].external
    assert cloud.api_key_env == "CLOUD_API_KEY"
    assert cloud.cost_input_per_1k == Decimal("0.00015")
    assert cloud.cost_output_per_1k == Decimal("0.0006")
    assert [c.name for c in policy.categories] == [
        "national-id",
        "payment",
        "contact",
        "secrets",
        "internal-project",
    ]
    assert policy.masking["secrets"].action == "block"
    assert policy.masking["secrets"].apply_to == "all"
    assert [r.name for r in policy.routes] == ["ids-stay-home", "default"]
    assert policy.routes[1].backends == ("cloud", "kz-local")


def test_entity_rules_expand_categories_including_custom_ones():
    rules = parse_policy(contract_doc()).entity_rules()
    assert rules["KZ_IIN"].action == "placeholder"
    assert rules["KZ_IIN"].apply_to == "external"
    assert rules["CREDIT_CARD"].action == "partial"
    assert rules["INTERNAL_PROJECT"].action == "redact"
    assert "IP_ADDRESS" not in rules  # no category claims it: kept


def test_categories_of_counts_only_present_entities_in_document_order():
    policy = parse_policy(contract_doc())
    found = policy.categories_of({"INTERNAL_PROJECT": 1, "EMAIL_ADDRESS": 0, "KZ_IIN": 2})
    assert found == ["national-id", "internal-project"]


def test_round_trip_is_exact():
    policy = parse_policy(contract_doc())
    again = parse_policy(yaml.safe_load(to_yaml(policy)))
    assert again == policy
    assert content_hash(again) == content_hash(policy)
    assert to_document(again) == to_document(policy)


def test_round_trip_keeps_every_optional_field():
    doc = contract_doc()
    doc["backends"][1]["timeouts"] = {"connect": 2, "first_byte": 7.5}
    doc["backends"][1]["max_concurrency"] = 16
    doc["backends"][1]["cost_per_1k_tokens"] = {"input": "0.0000001", "output": 3}
    doc["routes"][0]["when"] = {
        "categories_any": ["payment"],
        "categories_none": ["contact"],
        "teams": ["risk"],
        "models": ["assistant"],
        "key_tags": ["batch"],
    }
    doc["options"] = {"unscannable_parts": "allow", "output_scan": ["contact"]}
    policy = parse_policy(doc)
    assert policy.backends["cloud"].first_byte_timeout == 7.5
    assert parse_policy(yaml.safe_load(to_yaml(policy))) == policy


def test_hash_differs_when_anything_changes():
    doc = contract_doc()
    base = content_hash(parse_policy(doc))
    doc["masking"]["contact"]["action"] = "redact"
    assert content_hash(parse_policy(doc)) != base


def test_every_error_is_reported_with_its_path():
    doc = contract_doc()
    doc["version"] = 2
    doc["surprise"] = True
    doc["backends"][0]["residency"] = "moon"
    doc["backends"][1]["base_url"] = "ftp://cloud"
    doc["backends"][1]["api_key_env"] = "sk-live-123"
    doc["backends"][1]["cost_per_1k_tokens"]["input"] = -1
    doc["categories"][0]["entities"].append("PASSPORT_NUMBER")
    doc["categories"][4]["patterns"].append(r"(a)\1")
    doc["masking"]["payment"]["action"] = "shred"
    doc["masking"]["ghost"] = {"action": "redact"}
    doc["routes"][0]["when"]["categories_any"].append("medical")
    doc["routes"][1]["backends"].append("nowhere")
    errors = errors_of(doc)
    assert set(errors) == {
        "version",
        "surprise",
        "backends[0].residency",
        "backends[1].base_url",
        "backends[1].api_key_env",
        "backends[1].cost_per_1k_tokens.input",
        "categories[0].entities[6]",
        "categories[4].patterns[1]",
        "masking.payment.action",
        "masking.ghost",
        "routes[0].when.categories_any[2]",
        "routes[1].backends[2]",
    }
    assert "unknown key" in errors["surprise"]
    assert "RE2" in errors["categories[4].patterns[1]"]


@pytest.mark.parametrize(
    "pattern",
    [r"(?=PRJ)\w+", r"(\w)\1", r"a{2000}", r"x*", "(unclosed", "a" * 1200],
)
def test_hostile_or_useless_patterns_are_refused_naming_the_field(pattern):
    doc = contract_doc()
    doc["categories"][4]["patterns"] = [r"\bOK-\d+\b", pattern]
    errors = errors_of(doc)
    assert list(errors) == ["categories[4].patterns[1]"]


def test_unknown_keys_are_errors_at_every_level():
    doc = contract_doc()
    doc["backends"][0]["region"] = "kz"
    doc["categories"][0]["stay_in_country"] = True
    doc["masking"]["contact"]["applies_to"] = "all"
    doc["routes"][0]["when"]["team"] = ["x"]
    doc["routes"][0]["fallback"] = []
    errors = errors_of(doc)
    assert set(errors) == {
        "backends[0].region",
        "categories[0].stay_in_country",
        "masking.contact.applies_to",
        "routes[0].when.team",
        "routes[0].fallback",
    }


def test_duplicate_names_and_shared_entities_are_refused():
    doc = contract_doc()
    doc["backends"].append(dict(doc["backends"][0]))
    doc["categories"][2]["entities"].append("KZ_IIN")
    doc["routes"].append({"name": "default", "backends": ["kz-local"]})
    errors = errors_of(doc)
    assert "duplicate" in errors["backends[2].name"]
    assert "national-id" in errors["categories[2].entities[3]"]
    assert "duplicate" in errors["routes[2].name"]


def test_route_needs_known_non_empty_backends():
    doc = contract_doc()
    doc["routes"][0]["backends"] = []
    del doc["routes"][1]["backends"]
    errors = errors_of(doc)
    assert set(errors) == {"routes[0].backends", "routes[1].backends"}


def test_route_model_condition_must_be_served_somewhere():
    doc = contract_doc()
    doc["routes"][0]["when"]["models"] = ["assistant", "gpt-9"]
    assert list(errors_of(doc)) == ["routes[0].when.models[1]"]


def test_echo_backend_is_accepted_and_cannot_be_external():
    doc = contract_doc()
    doc["backends"][0]["base_url"] = "echo://"
    assert parse_policy(doc).backends["kz-local"].is_echo
    doc["backends"][0]["residency"] = "external"
    assert "in-country" in errors_of(doc)["backends[0].residency"]


def test_custom_category_may_not_shadow_a_builtin_entity():
    doc = contract_doc()
    doc["categories"].append({"name": "person", "terms": ["Bob"]})
    assert list(errors_of(doc)) == ["categories[5].name"]


def test_category_needs_something_to_detect():
    doc = contract_doc()
    doc["categories"].append({"name": "empty"})
    assert list(errors_of(doc)) == ["categories[5]"]


@pytest.mark.parametrize("value", [None, [], "version: 1", 42])
def test_non_mapping_documents_are_refused(value):
    errors = errors_of(value)
    assert list(errors) == ["document"]


def test_missing_sections_are_reported():
    errors = errors_of({"version": 1})
    assert set(errors) == {"backends", "routes"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("unscannable_parts", "sometimes"), ("output_scan", ["nope"]), ("extra", 1)],
)
def test_options_are_validated(field, value):
    doc = contract_doc()
    doc["options"] = {field: value}
    (path,) = errors_of(doc)
    assert path.startswith(f"options.{field}")


def test_huge_lists_are_refused_with_bounded_work():
    doc = contract_doc()
    doc["categories"][4]["terms"] = [f"term{i}" for i in range(200_000)]
    doc["categories"][4]["patterns"] = [rf"\bP{i}\b" for i in range(20_000)]
    errors = errors_of(doc)  # linear work: quadratic duplicate checks would take minutes here
    assert set(errors) == {"categories[4].patterns", "categories[4].terms"}


def test_null_sections_and_null_route_backends_are_required():
    doc = contract_doc()
    doc["backends"] = None
    doc["routes"] = None
    assert errors_of(doc) == {"backends": "required", "routes": "required"}
    doc = contract_doc()
    doc["routes"][1]["backends"] = None
    assert list(errors_of(doc)) == ["routes[1].backends"]


@pytest.mark.parametrize("version", [1.0, True, "1"])
def test_version_must_be_the_integer_one(version):
    doc = contract_doc()
    doc["version"] = version
    assert list(errors_of(doc)) == ["version"]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("backends[0].name", lambda d: d["backends"][0].update(name="kz-local\n")),
        ("backends[0].base_url", lambda d: d["backends"][0].update(base_url="http://h/v1\n")),
        ("backends[1].api_key_env", lambda d: d["backends"][1].update(api_key_env="CLOUD\n")),
        (
            'backends[0].models["assistant\\n"]',  # quoted: the newline never reaches a terminal
            lambda d: d["backends"][0]["models"].update({"assistant\n": "m"}),
        ),
    ],
)
def test_a_trailing_newline_does_not_pass_as_part_of_a_name(path, where):
    doc = contract_doc()
    where(doc)
    assert path in errors_of(doc)


@pytest.mark.parametrize("alias", ["qwen2.5-7b", "qwen2.5:7b", "meta-llama/Llama-3.1-8B", "GPT_4o"])
def test_model_aliases_accept_what_keys_accept(alias):
    doc = contract_doc()
    doc["backends"][0]["models"] = {alias: "upstream"}
    assert alias in parse_policy(doc).aliases()


@pytest.mark.parametrize("alias", ["-leading", "has space", "x" * 101, ""])
def test_bad_model_aliases_are_refused_with_the_rule(alias):
    doc = contract_doc()
    doc["backends"][0]["models"] = {alias: "upstream"}
    plain = alias and " " not in alias
    path = f"backends[0].models.{alias}" if plain else f'backends[0].models["{alias}"]'
    reason = errors_of(doc)[path]
    assert "'.'" in reason and "'/'" in reason


def test_two_custom_categories_may_not_share_one_entity_label():
    doc = contract_doc()
    doc["categories"].append({"name": "internal_project", "terms": ["Kestrel"]})
    reason = errors_of(doc)["categories[5].name"]
    assert "INTERNAL_PROJECT" in reason and "internal-project" in reason
