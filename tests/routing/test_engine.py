from __future__ import annotations

import random

import pytest

from routing.engine import decide
from routing.policy.document import parse_policy
from tests.routing.policy_fixtures import Scan, contract_doc

POLICY = parse_policy(contract_doc())


def run(counts=None, *, model="assistant", team="ops", tags=(), unscannable=(), policy=POLICY):
    scan = Scan(counts or {}, list(unscannable))
    return decide(policy=policy, scan=scan, model_alias=model, team_slug=team, key_tags=tags)


def names(decision):
    return [c.backend.name for c in decision.candidates]


def test_clean_request_takes_default_route_in_order():
    d = run()
    assert d.refusal is None
    assert d.route == "default"
    assert names(d) == ["cloud", "kz-local"]
    assert [c.upstream_model for c in d.candidates] == ["gpt-4o-mini", "qwen2.5-7b-instruct"]
    assert [c.external for c in d.candidates] == [True, False]


def test_national_id_takes_first_matching_route():
    d = run({"KZ_IIN": 1})
    assert d.route == "ids-stay-home"
    assert names(d) == ["kz-local"]
    assert d.categories == ["national-id"]


def test_contact_only_may_go_external_masked():
    d = run({"EMAIL_ADDRESS": 2})
    assert d.route == "default" and names(d) == ["cloud", "kz-local"]


def test_secret_is_blocked_everywhere():
    d = run({"SECRET": 1, "EMAIL_ADDRESS": 1})
    assert d.refusal is not None
    assert (d.refusal.status, d.refusal.code) == (403, "blocked_by_policy")
    assert "secrets" in d.refusal.message
    assert d.candidates == []


def test_unknown_alias_is_model_not_allowed():
    d = run(model="gpt-9")
    assert (d.refusal.status, d.refusal.code) == (403, "model_not_allowed")


def test_alias_not_served_by_route_backends_skips_them():
    d = run(model="embed")
    assert names(d) == ["kz-local"]
    assert any("cloud" in n and "embed" in n for n in d.notes)


def test_residency_invariant_overrides_a_route_that_lists_external_backends():
    doc = contract_doc()
    doc["routes"] = [{"name": "careless", "backends": ["cloud", "kz-local"]}]
    policy = parse_policy(doc)
    d = run({"CREDIT_CARD": 1}, policy=policy)
    assert d.route == "careless"
    assert names(d) == ["kz-local"]
    assert any("payment stays in country" in n for n in d.notes)


def test_no_in_country_backend_left_is_503():
    doc = contract_doc()
    doc["routes"] = [{"name": "cloud-only", "backends": ["cloud"]}]
    d = run({"RU_INN": 1}, policy=parse_policy(doc))
    assert (d.refusal.status, d.refusal.code) == (503, "no_compliant_backend")
    assert d.route == "cloud-only"


def test_custom_stays_in_country_category_is_enforced_too():
    doc = contract_doc()
    doc["categories"][4]["stays_in_country"] = True
    d = run({"INTERNAL_PROJECT": 1}, policy=parse_policy(doc))
    assert d.route == "default" and names(d) == ["kz-local"]


def test_no_route_matches_is_503():
    doc = contract_doc()
    doc["routes"] = [{"name": "only-risk", "when": {"teams": ["risk"]}, "backends": ["cloud"]}]
    d = run(policy=parse_policy(doc))
    assert (d.refusal.status, d.refusal.code, d.route) == (503, "no_compliant_backend", None)


@pytest.mark.parametrize(
    ("when", "kwargs", "matches"),
    [
        ({"teams": ["risk"]}, {"team": "risk"}, True),
        ({"teams": ["risk"]}, {"team": "ops"}, False),
        ({"models": ["embed"]}, {"model": "embed"}, True),
        ({"models": ["embed"]}, {"model": "assistant"}, False),
        ({"key_tags": ["batch", "eval"]}, {"tags": ["eval"]}, True),
        ({"key_tags": ["batch"]}, {"tags": ["web"]}, False),
        ({"categories_none": ["contact"]}, {"counts": {"PERSON": 1}}, False),
        ({"categories_none": ["contact"]}, {"counts": {}}, True),
        ({"categories_any": ["contact"], "teams": ["risk"]}, {"counts": {"PERSON": 1}}, False),
    ],
)
def test_route_conditions(when, kwargs, matches):
    doc = contract_doc()
    doc["routes"] = [
        {"name": "special", "when": when, "backends": ["kz-local"]},
        {"name": "rest", "backends": ["cloud", "kz-local"]},
    ]
    counts = kwargs.pop("counts", None)
    d = run(counts, policy=parse_policy(doc), **kwargs)
    assert (d.route == "special") is matches


def test_team_condition_accepts_the_team_name_too():
    doc = contract_doc()
    doc["routes"] = [{"name": "risk", "when": {"teams": ["Risk Team"]}, "backends": ["cloud"]}]
    d = decide(
        policy=parse_policy(doc),
        scan=Scan(),
        model_alias="assistant",
        team_slug="risk-team",
        team_name="Risk Team",
    )
    assert d.route == "risk"


def test_unscannable_parts_stay_in_country_by_default():
    d = run(unscannable=["image"])
    assert names(d) == ["kz-local"]


def test_unscannable_parts_may_be_allowed():
    doc = contract_doc()
    doc["options"] = {"unscannable_parts": "allow"}
    assert names(run(unscannable=["image"], policy=parse_policy(doc))) == ["cloud", "kz-local"]


def test_unscannable_parts_may_be_refused():
    doc = contract_doc()
    doc["options"] = {"unscannable_parts": "refuse"}
    d = run(unscannable=["audio"], policy=parse_policy(doc))
    assert (d.refusal.status, d.refusal.code) == (403, "blocked_by_policy")


def test_block_for_external_drops_external_or_refuses():
    doc = contract_doc()
    doc["masking"]["contact"] = {"action": "block", "apply_to": "external"}
    policy = parse_policy(doc)
    assert names(run({"PERSON": 1}, policy=policy)) == ["kz-local"]
    doc["routes"] = [{"name": "cloud-only", "backends": ["cloud"]}]
    d = run({"PERSON": 1}, policy=parse_policy(doc))
    assert (d.refusal.status, d.refusal.code) == (403, "blocked_by_policy")


def _random_policy(rng: random.Random):
    backends = []
    for i in range(rng.randint(1, 4)):
        aliases = rng.sample(["assistant", "embed", "code"], rng.randint(1, 3))
        backends.append(
            {
                "name": f"b{i}",
                "base_url": f"http://127.0.0.1:{9000 + i}/v1",
                "residency": rng.choice(["in-country", "external"]),
                "models": {a: f"{a}-{i}" for a in aliases},
            }
        )
    entities = ["KZ_IIN", "CREDIT_CARD", "EMAIL_ADDRESS", "PERSON", "SECRET", "IP_ADDRESS"]
    rng.shuffle(entities)
    categories = []
    for i in range(rng.randint(1, 4)):
        chunk = entities[i::4]
        if chunk:
            categories.append(
                {"name": f"c{i}", "entities": chunk, "stays_in_country": rng.random() < 0.5}
            )
    cat_names = [c["name"] for c in categories]
    actions = ["placeholder", "redact", "hash", "partial", "keep", "block"]
    masking = {
        n: {"action": rng.choice(actions), "apply_to": rng.choice(["external", "all"])}
        for n in cat_names
        if rng.random() < 0.7
    }
    routes = []
    for i in range(rng.randint(1, 4)):
        when = {}
        if rng.random() < 0.5:
            when["categories_any"] = rng.sample(cat_names, rng.randint(1, len(cat_names)))
        if rng.random() < 0.3:
            when["categories_none"] = rng.sample(cat_names, 1)
        if rng.random() < 0.3:
            when["teams"] = ["ops"]
        route = {
            "name": f"r{i}",
            "backends": [b["name"] for b in rng.sample(backends, rng.randint(1, len(backends)))],
        }
        if when:
            route["when"] = when
        routes.append(route)
    options = {"unscannable_parts": rng.choice(["in-country-only", "allow", "refuse"])}
    doc = {
        "version": 1,
        "backends": backends,
        "categories": categories,
        "masking": masking,
        "routes": routes,
        "options": options,
    }
    return parse_policy(doc), entities


def test_property_no_external_candidate_when_a_stays_in_country_entity_is_found():
    rng = random.Random(20261125)
    checked = 0
    for _ in range(3000):
        policy, entities = _random_policy(rng)
        counts = {e: rng.randint(1, 3) for e in rng.sample(entities, rng.randint(0, 3))}
        unscannable = ["image"] if rng.random() < 0.2 else []
        alias = rng.choice(["assistant", "embed", "code"])
        d = decide(
            policy=policy,
            scan=Scan(counts, unscannable),
            model_alias=alias,
            team_slug=rng.choice(["ops", "risk"]),
            key_tags=[],
        )
        staying = set(d.categories) & policy.stays_in_country_categories()
        if staying or (unscannable and policy.options.unscannable_parts != "allow"):
            checked += 1
            assert not any(c.external for c in d.candidates), (counts, d)
        assert (d.refusal is None) == bool(d.candidates)
        for c in d.candidates:
            assert c.upstream_model == c.backend.models[alias]
    assert checked > 500
