from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audit.models import ChangeEvent
from routing.models import PolicyVersion
from routing.policy import services
from routing.policy.document import PolicyInvalid
from tests.routing.policy_fixtures import contract_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers():
    make = get_user_model().objects.create_user
    return make("maker", password="x" * 12), make("checker", password="x" * 12)


@pytest.fixture
def live(officers):
    return services.policy_import(document=contract_doc(), actor=None, comment="base")


def edited_doc():
    doc = contract_doc()
    doc["masking"]["contact"] = {"action": "redact", "apply_to": "all"}
    return doc


def actions():
    return list(
        ChangeEvent.objects.filter(target_type="routing.PolicyVersion")
        .order_by("id")
        .values_list("action", "actor_name")
    )


def test_maker_checker_publishes_only_after_a_different_officer_approves(officers, live):
    maker, checker = officers
    services.policy_settings_update(maker_checker=True, actor=checker)
    draft = services.policy_draft_start(actor=maker)
    assert draft.based_on == 1 and draft.number is None
    draft = services.policy_draft_update(draft=draft, document=edited_doc(), actor=maker)
    draft = services.policy_publish(draft=draft, actor=maker, comment="redact contacts")
    assert draft.state == PolicyVersion.State.PENDING and draft.number is None
    with pytest.raises(services.WorkflowError, match="different officer"):
        services.policy_approve(draft=draft, actor=maker, content_hash_seen=draft.content_hash)
    with pytest.raises(services.WorkflowError, match="changed since"):
        services.policy_approve(draft=draft, actor=checker, content_hash_seen="0" * 64)
    version = services.policy_approve(
        draft=draft, actor=checker, content_hash_seen=draft.content_hash
    )
    assert version.number == 2 and version.state == PolicyVersion.State.PUBLISHED
    assert (version.author_name, version.approved_by_name) == ("maker", "checker")
    assert version.document["masking"]["contact"]["action"] == "redact"
    assert actions()[1:] == [
        ("create", "maker"),
        ("update", "maker"),
        ("publish", "maker"),
        ("approve", "checker"),
    ]


def test_rejection_needs_a_reason_and_reopens_the_draft(officers, live):
    maker, checker = officers
    services.policy_settings_update(maker_checker=True, actor=checker)
    draft = services.policy_publish(
        draft=services.policy_draft_start(actor=maker), actor=maker, comment="c"
    )
    with pytest.raises(services.WorkflowError, match="reason"):
        services.policy_reject(draft=draft, actor=checker, reason="  ")
    draft = services.policy_reject(draft=draft, actor=checker, reason="too broad")
    assert draft.state == PolicyVersion.State.DRAFT
    assert (draft.rejected_reason, draft.rejected_by_name) == ("too broad", "checker")
    assert ChangeEvent.objects.filter(action="reject", note="too broad").exists()
    services.policy_draft_update(draft=draft, document=edited_doc(), actor=maker)


def test_without_maker_checker_publish_is_immediate(officers, live):
    maker, _ = officers
    services.policy_settings_update(maker_checker=False, actor=maker)
    draft = services.policy_draft_start(actor=maker)
    services.policy_draft_update(draft=draft, document=edited_doc(), actor=maker)
    version = services.policy_publish(draft=draft, actor=maker, comment="now")
    assert version.number == 2 and version.state == PolicyVersion.State.PUBLISHED


def test_pending_draft_cannot_be_edited(officers, live):
    maker, checker = officers
    services.policy_settings_update(maker_checker=True, actor=checker)
    draft = services.policy_publish(
        draft=services.policy_draft_start(actor=maker), actor=maker, comment="c"
    )
    with pytest.raises(services.WorkflowError):
        services.policy_draft_update(draft=draft, document=edited_doc(), actor=maker)


def test_invalid_draft_update_saves_nothing(officers, live):
    maker, _ = officers
    draft = services.policy_draft_start(actor=maker)
    doc = edited_doc()
    doc["routes"][0]["backends"] = ["ghost"]
    with pytest.raises(PolicyInvalid):
        services.policy_draft_update(draft=draft, document=doc, actor=maker)
    draft.refresh_from_db()
    assert draft.document == live.document


def test_only_one_draft_at_a_time(officers, live):
    maker, checker = officers
    assert services.policy_draft_start(actor=maker) == services.policy_draft_start(actor=checker)


def test_rollback_publishes_a_new_version_equal_to_the_old_one(officers, live):
    maker, _ = officers
    services.policy_import(document=edited_doc(), actor=maker)
    restored = services.policy_rollback(number=1, actor=maker)
    assert restored.number == 3 and restored.restored_from == 1
    assert restored.content_hash == live.content_hash
    assert restored.document == live.document
    with pytest.raises(services.WorkflowError):
        services.policy_rollback(number=42, actor=maker)


def test_maker_checker_defaults_follow_demo_mode(settings):
    settings.KORDON_DEMO = False
    assert services.maker_checker_enabled() is True
    settings.KORDON_DEMO = True
    assert services.maker_checker_enabled() is False


def test_discard_removes_the_draft(officers, live):
    maker, _ = officers
    draft = services.policy_draft_start(actor=maker)
    services.policy_draft_discard(draft=draft, actor=maker)
    assert services.current_draft() is None
    assert ChangeEvent.objects.filter(action="delete").count() == 1


def test_edits_apply_to_the_draft_as_it_is_now(officers, live):
    """Two officers with the same page open: neither edit is lost."""
    from routing.policy import editing

    maker, checker = officers
    seen_by_both = services.policy_draft_start(actor=maker)
    first = {"name": "health", "terms": ["diagnosis"]}
    second = {"name": "legal", "terms": ["lawsuit"]}
    services.policy_draft_update(
        draft=seen_by_both,
        actor=maker,
        edit=lambda d: editing.upsert_item(d, "categories", None, first),
    )
    services.policy_draft_update(
        draft=seen_by_both,
        actor=checker,
        edit=lambda d: editing.upsert_item(d, "categories", None, second),
    )
    names = [c["name"] for c in services.current_draft().document["categories"]]
    assert names[-2:] == ["health", "legal"]
