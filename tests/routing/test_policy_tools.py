"""Playground, impact preview and self-test: the console's tools, on the real detector."""

from __future__ import annotations

import json

import pytest

from routing.policy.document import parse_policy
from routing.policy.impact import impact_preview
from routing.policy.playground import run_playground
from routing.policy.selftest import run_selftest
from routing.policy.store import compile_custom
from tests.audit.conftest import write_record
from tests.routing.policy_fixtures import contract_doc

POLICY = parse_policy(contract_doc())
CUSTOM = compile_custom(POLICY)


def play(text, **kw):
    kw.setdefault("model", "assistant")
    return run_playground(policy=POLICY, custom=CUSTOM, text=text, team_slug="ops", **kw)


def test_playground_shows_findings_route_and_masked_text_per_backend():
    result = play("Write to ivan.petrov@example.kz about PRJ-1234")
    assert result.error == ""
    assert result.decision.route == "default"
    marked = [(s.text, s.entity, s.category) for s in result.slots[0].segments if s.entity]
    assert marked == [
        ("ivan.petrov@example.kz", "EMAIL_ADDRESS", "contact"),
        ("PRJ-1234", "INTERNAL_PROJECT", "internal-project"),
    ]
    cloud, local = result.candidates
    assert cloud.backend == "cloud" and local.backend == "kz-local"
    cloud_text = cloud.texts[0][1]
    assert "ivan.petrov@example.kz" not in cloud_text and "<EMAIL_ADDRESS_1>" in cloud_text
    assert "PRJ-1234" not in cloud_text and "<INTERNAL_PROJECT>" in cloud_text
    assert local.texts[0][1] == "Write to ivan.petrov@example.kz about PRJ-1234"  # in-country


def test_playground_shows_the_residency_route_and_refusals():
    result = play("ИИН 900101300017")
    assert result.decision.route == "ids-stay-home"
    assert [c.backend for c in result.candidates] == ["kz-local"]
    blocked = play("key AKIAIOSFODNN7EXAMPLE")
    assert blocked.decision.refusal.code == "blocked_by_policy"
    assert blocked.candidates == []


def test_playground_accepts_a_whole_chat_request():
    body = {"model": "embed", "input": ["mail ivan.petrov@example.kz"]}
    result = play(json.dumps(body))
    assert result.slots[0].path == "input[0]"
    assert [c.backend for c in result.candidates] == ["kz-local"]


def test_playground_reports_a_malformed_request():
    result = play(json.dumps({"model": "assistant", "messages": "nope"}))
    assert "malformed" in result.error


@pytest.mark.django_db
def test_impact_preview_counts_requests_decided_differently():
    for _ in range(3):
        write_record(team="risk", entities={"EMAIL_ADDRESS": 1}, categories=["contact"])
    write_record(team="risk", entities={"KZ_IIN": 1})
    doc = contract_doc()
    doc["masking"]["contact"] = {"action": "block", "apply_to": "all"}
    impact = impact_preview(draft=parse_policy(doc), live=POLICY)
    assert (impact.total, impact.changed, impact.newly_refused) == (4, 3, 0 + 3)
    (row,) = impact.rows
    assert row.requests == 3 and row.after.refusal == "blocked_by_policy"
    assert row.before.words() == "route default → cloud, kz-local"


def test_selftest_scores_categories_and_flags_a_weaker_draft():
    live = run_selftest(POLICY, CUSTOM)
    national = live.scores["national-id"]
    assert national.total >= 8 and national.caught == national.total
    assert live.scores["internal-project"].total == 3
    doc = contract_doc()
    doc["categories"][0]["entities"].remove("KZ_IIN")
    doc["categories"][4]["terms"] = ["Nightingale"]
    weaker = parse_policy(doc)
    draft = run_selftest(weaker, compile_custom(weaker))
    assert draft.lowered(live) == ["national-id"]
