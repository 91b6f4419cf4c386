"""Hostile query strings on every console page: a page or a clear 4xx, never a 500.

Each signed-in role opens the console's list and browse pages with generated query values for
the parameters those pages read (filters, cursors, page numbers, version pairs, windows): NUL,
bidi controls, huge numbers, malformed dates and cursors.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.generated import probe_settings

PAGES = [
    "/",
    "/audit/records/",
    "/audit/changes/",
    "/audit/changes/export/",
    "/audit/dashboard/",
    "/policies/",
    "/policies/versions/",
    "/policies/versions/diff/",
    "/policies/draft/",
    "/keys/",
    "/people/",
]
PARAMS = [
    "since", "until", "team", "key_prefix", "backend", "route", "policy_version", "category",
    "entity", "status", "error_code", "sealed", "sort", "cursor", "page", "window", "a", "b",
    "q", "actor", "action", "target_type",
]  # fmt: skip
value = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\u0000", "x\u0000y", "\u202e", "-1", "0", "9" * 40, "1e9", "nan",
                     "2026-02-30", "2026-12-07T25:00", "!!!", "eyJ4Ijo", "%00", "../.."]),
)  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["admin", "auditor", "compliance_officer", "team_lead"])
def test_generated_query_strings_never_fail_a_page(client_for, persona):
    client = client_for(persona)

    @probe_settings(120)
    @given(st.sampled_from(PAGES), st.dictionaries(st.sampled_from(PARAMS), value, max_size=4))
    def probe(page: str, query: dict[str, str]) -> None:
        response = client.get(page, query)
        assert response.status_code < 500, (page, query, response.status_code)

    probe()
