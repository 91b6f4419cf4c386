from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from audit import exports, sealing
from audit.models import AuditExport, ChangeEvent
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db
RECORD_LINK = re.compile(r'href="/audit/records/([0-9a-f-]{36})/"')


def shown_ids(page: str) -> list[str]:
    return RECORD_LINK.findall(page)


LIST_MATRIX = [
    ("anonymous", 302),
    ("outsider", 403),
    ("compliance_officer", 403),
    ("team_lead", 200),
    ("auditor", 200),
    ("admin", 200),
]


@pytest.fixture
def records(personas):
    payments = personas["teams"]["payments"]
    research = personas["teams"]["research"]
    rows = [write_record(team="payments", team_id=payments.id) for _ in range(3)]
    rows += [
        write_record(
            team="research",
            team_id=research.id,
            backend="cloud",
            residency="external",
            route="default",
            entities={"EMAIL_ADDRESS": 2},
            categories=["contact"],
        )
        for _ in range(2)
    ]
    rows.append(
        write_record(
            team="research", team_id=research.id, status_code=403, error_code="blocked_by_policy"
        )
    )
    sealing.seal_pending()
    return rows


@pytest.mark.parametrize(("persona", "status"), LIST_MATRIX)
def test_audit_list_access(audit_client_for, records, persona, status):
    response = audit_client_for(persona).get(reverse("audit:audit_record_list"))
    assert response.status_code == status
    if status == 302:
        assert "/login/" in response["Location"]


def test_team_lead_sees_only_records_of_teams_they_lead(audit_client_for, records):
    lead = audit_client_for("team_lead")
    page = lead.get(reverse("audit:audit_record_list")).content.decode()
    assert len(shown_ids(page)) == 3
    assert "research" not in page.split('id="audit-records"')[1]
    research_record = records[-1]
    detail = lead.get(reverse("audit:audit_record_detail", args=[research_record.id]))
    assert detail.status_code == 404
    own = lead.get(reverse("audit:audit_record_detail", args=[records[0].id]))
    assert own.status_code == 200


def test_auditor_sees_every_team_and_filters(audit_client_for, records):
    auditor = audit_client_for("auditor")
    url = reverse("audit:audit_record_list")
    assert len(shown_ids(auditor.get(url).content.decode())) == 6
    filtered = auditor.get(url, {"entity": "email_address", "backend": "cloud"}).content.decode()
    assert len(shown_ids(filtered)) == 2
    by_category = auditor.get(url, {"category": "contact"}).content.decode()
    assert len(shown_ids(by_category)) == 2
    by_error = auditor.get(
        url, {"error_code": "blocked_by_policy", "status": "4xx"}
    ).content.decode()
    assert len(shown_ids(by_error)) == 1
    fragment = auditor.get(url, {"team": "payments"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and len(shown_ids(fragment)) == 3


@pytest.mark.parametrize("sort", ["-timestamp", "timestamp", "-latency_ms", "-cost"])
def test_keyset_pagination_walks_every_record_once(audit_client_for, personas, sort):
    team = personas["teams"]["payments"]
    ids = {write_record(team="payments", team_id=team.id).id for _ in range(110)}
    ids |= {write_record(team="payments", team_id=team.id, completed=False).id for _ in range(5)}
    auditor = audit_client_for("auditor")
    url = reverse("audit:audit_record_list")
    seen = []
    params = {"sort": sort}
    while True:
        page = auditor.get(url, params).content.decode()
        seen += shown_ids(page)
        if 'id="next-page"' not in page:
            break
        cursor = page.split("cursor=")[1].split('"')[0].split("&")[0]
        params = {"sort": sort, "cursor": cursor}
    assert len(seen) == 115 and {str(i) for i in ids} == set(seen)


def test_list_query_count_is_bounded(audit_client_for, records, django_assert_max_num_queries):
    auditor = audit_client_for("auditor")
    with django_assert_max_num_queries(16):
        auditor.get(reverse("audit:audit_record_list"))


def test_detail_shows_timeline_policy_link_and_chain_place(audit_client_for, records):
    record = records[3]
    record.refresh_from_db()
    page = (
        audit_client_for("auditor")
        .get(reverse("audit:audit_record_detail", args=[record.id]))
        .content.decode()
    )
    for step in ("received", "detected", "masked", "routed", "answered"):
        assert f'data-step="{step}"' in page
    assert "EMAIL_ADDRESS: 2" in page
    assert 'href="/policies/versions/1/"' in page
    assert "matches the record" in page and "links" in page and f"#{record.seq}" in page


def _export(client, fmt, **filters):
    return client.post(reverse("audit:audit_export_create"), {"format": fmt, **filters})


EXPORT_MATRIX = [
    ("anonymous", 302),
    ("outsider", 403),
    ("compliance_officer", 403),
    ("team_lead", 200),
    ("auditor", 200),
]


@pytest.mark.parametrize(("persona", "status"), EXPORT_MATRIX)
def test_export_access(audit_client_for, records, persona, status):
    assert _export(audit_client_for(persona), "csv").status_code == status


def test_filtered_export_matches_the_browser(audit_client_for, records):
    auditor = audit_client_for("auditor")
    filters = {"team": "research", "status": "2xx"}
    page = auditor.get(reverse("audit:audit_record_list"), filters).content.decode()
    shown = set(shown_ids(page))
    response = _export(auditor, "jsonl", **filters)
    body = b"".join(response.streaming_content).decode()
    exported = [json.loads(line) for line in body.splitlines()]
    assert {row["id"] for row in exported} == shown and len(shown) == 2
    assert all(row["hash"] and row["entities"] == {"EMAIL_ADDRESS": 2} for row in exported)
    csv_body = b"".join(_export(auditor, "csv", **filters).streaming_content).decode()
    assert {row["id"] for row in csv.DictReader(io.StringIO(csv_body))} == shown
    export = AuditExport.objects.get(id=response["X-Kordon-Export-Id"])
    import hashlib

    assert (
        export.sha256
        == hashlib.sha256(body.encode()).hexdigest()
        == response["X-Kordon-Export-Sha256"]
    )
    event = ChangeEvent.objects.get(target_id=str(export.id))
    assert event.action == "export" and event.actor_name == "auditor"
    assert event.after["count"] == 2 and event.after["filters"] == filters


def test_team_lead_export_is_scoped(audit_client_for, records):
    body = b"".join(_export(audit_client_for("team_lead"), "jsonl").streaming_content).decode()
    assert {json.loads(line)["team"] for line in body.splitlines()} == {"payments"}


def test_large_export_runs_as_a_task_with_progress(
    audit_client_for, records, settings, django_capture_on_commit_callbacks
):
    settings.KORDON_AUDIT_EXPORT_INLINE_MAX = 2
    auditor = audit_client_for("auditor")
    with django_capture_on_commit_callbacks() as queued:
        response = _export(auditor, "csv")
    assert response.status_code == 302 and len(queued) == 1
    export = AuditExport.objects.get()
    pending = auditor.get(response["Location"]).content.decode()
    assert "0 of 6 records written" in pending and 'hx-trigger="every 1s"' in pending
    if settings.CELERY_TASK_ALWAYS_EAGER:
        queued[0]()  # eager Celery: the task runs inline
    else:
        exports.export_run(export_id=export.id)  # what the worker runs for the queued task
    detail = auditor.get(response["Location"], HTTP_HX_REQUEST="true")
    assert 'id="export-download"' in detail.content.decode()
    download = auditor.get(reverse("audit:audit_export_download", args=[export.id]))
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert len(rows) == 6
    manifest = auditor.get(reverse("audit:audit_export_manifest", args=[export.id])).json()
    assert manifest["count"] == 6 and manifest["exported_by"] == "auditor"
    assert audit_client_for("team_lead").get(response["Location"]).status_code == 404
    listing = auditor.get(reverse("audit:audit_record_list")).content.decode()
    assert "Your recent exports" in listing and response["Location"] in listing


def test_admin_is_read_only(audit_client_for, records, personas):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x" * 16)
    from django.test import Client

    client = Client()
    client.force_login(root)
    record = records[0]
    assert client.get(f"/admin/audit/auditrecord/{record.id}/change/").status_code == 200
    assert (
        client.post(f"/admin/audit/auditrecord/{record.id}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/audit/auditrecord/add/").status_code == 403


def test_unsealed_records_show_as_unsealed_and_chain_state_shows_breaks(audit_client_for, records):
    from django.db import connection

    from audit import verification

    write_record(team="payments", team_id=records[0].team_id, completed=False)
    auditor = audit_client_for("auditor")
    page = auditor.get(reverse("audit:audit_record_list"), {"sealed": "unsealed"}).content.decode()
    assert len(shown_ids(page)) == 1 and "unsealed" in page
    verification.verify_and_record()
    assert "intact" in auditor.get(reverse("audit:audit_record_list")).content.decode()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_guard")
        cursor.execute("UPDATE audit_auditrecord SET cost = 99 WHERE seq = 2")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_guard")
    verification.verify_and_record()
    page = auditor.get(reverse("audit:audit_record_list")).content.decode()
    assert "BROKEN" in page and "record #2 was altered" in page


def test_export_with_an_invalid_filter_is_refused(audit_client_for, records):
    response = _export(audit_client_for("auditor"), "csv", since="not a date")
    assert response.status_code == 400 and b"since:" in response.content
    assert not AuditExport.objects.exists()
