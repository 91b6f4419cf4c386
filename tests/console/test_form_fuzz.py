"""Generated hostile form posts to every console form: a page or a clear 4xx, never a 500.

With a live policy, an open draft, a team and a key in place, an admin and a compliance
officer post generated values (NUL, bidi controls, huge numbers, hostile regexes, YAML-ish
text, lists where one value belongs) under the field names the console's forms use.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys import forms as key_forms
from routing import forms as policy_forms
from routing.policy import services
from tests.factories import issue_key
from tests.generated import probe_settings
from tests.routing.policy_fixtures import contract_doc

FORMS = [
    key_forms.TeamForm,
    key_forms.KeyForm,
    key_forms.RevokeForm,
    key_forms.RotateForm,
    policy_forms.BackendForm,
    policy_forms.CategoryForm,
    policy_forms.RouteForm,
    policy_forms.OptionsForm,
    policy_forms.PublishForm,
    policy_forms.RejectForm,
    policy_forms.RollbackForm,
    policy_forms.SettingsForm,
    policy_forms.PlaygroundForm,
]
FIELDS = sorted(
    {name for form in FORMS for name in form.base_fields}
    | {"username", "password", "email", "role", "groups", "text", "pattern", "direction"}
)
value = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "\u0000",
            "a\u0000b",
            "\u202eabc",
            "-1",
            "0",
            "9" * 40,
            "1e999",
            "(a+)+$",
            "(?P<x>",
            "[",
            "\\",
            "echo://",
            "http://[::1",
            "in-country",
            "external",
            "national-id",
            "kz-local",
            "{a: [1, 2",
            "on",
        ]
    ),
)
form_data = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(value, st.lists(value, max_size=3)), max_size=6
)


@pytest.fixture
def world(db, user_for, lead_team):
    services.policy_import(document=contract_doc(), actor=None, comment="base")
    services.policy_draft_start(actor=user_for("compliance_officer"))
    key, _ = issue_key(lead_team, "scoring")
    return {"key": key.pk, "admin": user_for("admin").pk}


def _paths(world: dict[str, int]) -> list[str]:
    key, person = world["key"], world["admin"]
    return [
        "/keys/teams/new/",
        "/keys/teams/risk/edit/",
        "/keys/teams/risk/keys/new/",
        f"/keys/{key}/edit/",
        f"/keys/{key}/revoke/",
        f"/keys/{key}/rotate/",
        "/people/new/",
        f"/people/{person}/",
        "/policies/draft/masking/",
        "/policies/draft/options/",
        "/policies/draft/patterns/check/",
        "/policies/draft/routes/default/move/",
        "/policies/draft/backends/new/",
        "/policies/draft/backends/kz-local/",
        "/policies/draft/categories/new/",
        "/policies/draft/categories/payment/",
        "/policies/draft/routes/new/",
        "/policies/draft/routes/default/",
        "/policies/draft/nonsense/new/",
        "/policies/draft/impact/",
        "/policies/draft/selftest/",
        "/policies/draft/publish/",
        "/policies/draft/reject/",
        "/policies/versions/1/rollback/",
        "/policies/settings/",
        "/policies/playground/",
        "/audit/exports/",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["admin", "compliance_officer"])
def test_generated_form_posts_never_fail_a_page(client_for, world, persona):
    client = client_for(persona)
    paths = _paths(world)

    @probe_settings(250)
    @given(st.sampled_from(paths), form_data, st.booleans())
    def probe(path: str, data: dict[str, object], htmx: bool) -> None:
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(path, data, headers=headers)
        assert response.status_code < 500, (path, data, response.status_code)

    probe()
