from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audit.models import ChangeEvent
from routing.models import PolicyVersion
from routing.policy import services
from routing.policy.document import PolicyInvalid, parse_policy
from routing.policy.serialize import content_hash
from tests.routing.policy_fixtures import contract_doc

pytestmark = pytest.mark.django_db


def test_import_publishes_a_numbered_immutable_version_with_a_change_event(
    django_capture_on_commit_callbacks,
):
    user = get_user_model().objects.create_user("officer", password="x" * 12)
    with django_capture_on_commit_callbacks(execute=True):
        v1 = services.policy_import(document=contract_doc(), actor=user, comment="first")
        v2 = services.policy_import(document=contract_doc(), actor=None, comment="again")
    assert (v1.number, v2.number) == (1, 2)
    assert v1.state == PolicyVersion.State.PUBLISHED and v1.published_at
    assert v1.author_name == "officer" and v2.author_name == "system"
    assert v1.content_hash == content_hash(parse_policy(contract_doc())) == v2.content_hash
    assert parse_policy(v1.document) == parse_policy(contract_doc())
    events = list(ChangeEvent.objects.filter(target_type="routing.PolicyVersion").order_by("id"))
    assert [(e.action, e.actor_name, e.note) for e in events] == [
        ("import", "officer", "first"),
        ("import", "system", "again"),
    ]
    assert events[0].after["number"] == 1
    assert events[0].after["content_hash"] == v1.content_hash


def test_invalid_import_changes_nothing():
    doc = contract_doc()
    doc["routes"][0]["backends"] = ["ghost"]
    with pytest.raises(PolicyInvalid) as info:
        services.policy_import(document=doc, actor=None)
    assert info.value.lines() == ["routes[0].backends[0]: unknown backend 'ghost'"]
    assert not PolicyVersion.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_demo_policy_loads_only_on_an_empty_table():
    first = services.policy_load_demo()
    assert first is not None and first.number == 1
    policy = parse_policy(first.document)
    assert [b.is_echo for b in policy.backends.values()] == [True]
    assert set(policy.aliases()) == {"assistant", "embed"}
    assert services.policy_load_demo() is None
    assert PolicyVersion.objects.count() == 1
