from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import ChangeEvent
from keys import services
from tests.conftest import PERSONAS
from tests.factories import issue_key

STATUS = dict(zip(PERSONAS, (302, 403, 403, 403, 200, 200), strict=True))


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_history_access(client_for, persona):
    response = client_for(persona).get(reverse("audit:change_event_list"))
    assert response.status_code == STATUS[persona]


def test_change_history_lists_filters_and_never_shows_secrets(client_for, lead_team, user_for):
    key, secret = issue_key(lead_team, "scoring", actor=user_for("team_lead"))
    services.key_revoke(key=key, actor=user_for("admin"), reason="leaked")
    client = client_for("auditor")
    body = client.get(reverse("audit:change_event_list")).content.decode()
    assert "scoring" in body and "leaked" in body and key.prefix in body
    assert secret not in body and key.digest not in body
    filtered = client.get(reverse("audit:change_event_list"), {"target_type": "keys.Team"})
    events = list(filtered.context["page"].object_list)
    assert events and all(e.target_type == "keys.Team" for e in events)
    by_actor = client.get(reverse("audit:change_event_list"), {"actor": "admin"})
    assert [e.action for e in by_actor.context["page"].object_list] == ["revoke"]


def test_change_history_paginates_with_capped_queries(
    client_for, lead_team, django_assert_max_num_queries
):
    for n in range(60):
        issue_key(lead_team, f"k{n}")
    client = client_for("admin")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit:change_event_list"))
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.paginator.num_pages == 2
    assert len(client.get(reverse("audit:change_event_list"), {"page": 2}).context["page"]) == 11


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_history_export_access(client_for, persona):
    response = client_for(persona).post(reverse("audit:change_event_export"))
    assert response.status_code == STATUS[persona]


def test_change_history_export_is_filtered_csv_and_recorded(client_for, lead_team, user_for):
    import csv
    import io

    key, secret = issue_key(lead_team, "scoring")
    services.key_revoke(key=key, actor=user_for("admin"), reason="leaked")
    response = client_for("auditor").post(
        reverse("audit:change_event_export"), {"target_type": "keys.ApiKey"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["action"] for r in rows] == ["revoke", "create"]
    assert all(r["target_type"] == "keys.ApiKey" for r in rows)
    assert secret not in response.content.decode() and key.digest not in response.content.decode()
    export = ChangeEvent.objects.get(action="export")
    assert export.actor_name == "auditor" and export.after["count"] == 2
    assert export.after["filters"] == {"target_type": "keys.ApiKey"}


def test_export_needs_csrf(user_for):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_for("auditor"))
    assert client.post(reverse("audit:change_event_export")).status_code == 403


def test_change_history_export_defuses_spreadsheet_formulas(client_for, lead_team):
    key, _ = issue_key(lead_team, "scoring")
    services.key_revoke(key=key, actor=None, reason="=HYPERLINK('http://evil')")
    body = client_for("auditor").post(reverse("audit:change_event_export")).content.decode()
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
