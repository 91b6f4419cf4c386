"""Generated hostile bodies for the management API: field errors or success, never a 500.

An admin (who may call everything) sends teams and keys with each field of a generated type:
huge and negative numbers, NaN-like strings, lists where strings belong, NUL and bidi
characters, unknown fields. Every answer must be 2xx or a 4xx with DRF's error shape (a
mapping of field to messages, or `detail`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIClient

from keys.api import ApiKeySerializer, TeamSerializer
from tests.factories import issue_key
from tests.generated import json_leaves, json_values, probe_settings

value = json_values(json_leaves("NaN", "risk", "2026-13-45", "P1D"), max_leaves=5)


def _writable(serializer: type[serializers.Serializer]) -> list[str]:
    """The fields a caller may send: the serializer's own, so a new field is fuzzed too."""
    return [name for name, f in serializer().fields.items() if not f.read_only]


TEAM_FIELDS = _writable(TeamSerializer)
KEY_FIELDS = _writable(ApiKeySerializer)
CALLS = ["team create", "team patch", "key create", "key patch", "revoke", "rotate"]


def _body(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from([*fields, "unknown"]), value, max_size=len(fields))


def _check(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        payload = json.loads(response.content)
        assert isinstance(payload, dict) and payload, payload
        for messages in payload.values():
            assert isinstance(messages, list | str | dict), payload


@pytest.mark.django_db(transaction=True)
def test_generated_management_bodies_never_fail_the_server(user_for, lead_team):
    client = APIClient()
    client.force_login(user_for("admin"))
    key, _ = issue_key(lead_team, "scoring")

    @probe_settings(300)
    @given(
        st.sampled_from(CALLS),
        st.one_of(_body(TEAM_FIELDS), _body(KEY_FIELDS), value),
    )
    def probe(call: str, body: Any) -> None:
        method, path = {
            "team create": ("post", "/api/teams/"),
            "team patch": ("patch", "/api/teams/risk/"),
            "key create": ("post", "/api/keys/"),
            "key patch": ("patch", f"/api/keys/{key.pk}/"),
            "revoke": ("post", f"/api/keys/{key.pk}/revoke/"),
            "rotate": ("post", f"/api/keys/{key.pk}/rotate/"),
        }[call]
        raw = json.dumps(body)
        _check(getattr(client, method)(path, raw, content_type="application/json"))

    probe()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/keys/", {"team": "ri\u0000sk", "name": "n"}),
        ("patch", "/api/teams/risk/", {"members": ["\u0000"]}),
        ("patch", "/api/teams/risk/", {"leads": ["team_lead\u0000"]}),
    ],
)
def test_a_nul_in_a_lookup_is_a_field_error(user_for, lead_team, method, path, body):
    # PostgreSQL text cannot hold NUL: looked up as it was, the query failed (a 500).
    client = APIClient()
    client.force_login(user_for("admin"))
    response = getattr(client, method)(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert set(json.loads(response.content)) == set(body) - {"name"}
