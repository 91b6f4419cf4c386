"""An auditor, in Debian's Chromium: dashboard → records → a record's timeline → filtered export."""

from __future__ import annotations

import csv
import io

import pytest

from audit import dashboard, sealing
from tests.audit.conftest import write_record
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot


@pytest.mark.django_db(transaction=True)
def test_auditor_walks_from_dashboard_to_detail_and_exports(
    live_server, user_for, chromium_page, tmp_path, settings
):
    settings.KORDON_AUDIT_EXPORT_DIR = tmp_path / "exports"
    user_for("auditor")
    for _ in range(3):
        write_record(team="payments")
    research = [
        write_record(team="research", backend="cloud", residency="external", route="default",
                     entities={"EMAIL_ADDRESS": 1}, categories=["contact"])
        for _ in range(2)
    ]  # fmt: skip
    sealing.seal_pending()
    dashboard.rollup_recent()
    page = chromium_page

    page.goto(f"{live_server.url}/login/?next=/audit/dashboard/")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/audit/dashboard/")
    assert page.locator("svg.chart").count() >= 5
    assert "Requests by backend residency" in page.content()
    shot(page, "audit_dashboard")

    page.click("#browse-records")
    page.wait_for_url("**/audit/records/")
    assert page.locator("#audit-records tbody tr").count() == 5
    shot(page, "audit_record_list")

    # Filter through the htmx form: the table swaps in place and the URL follows.
    page.fill("input[name=team]", "research")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**team=research**")
    page.wait_for_function("document.querySelectorAll('#audit-records tbody tr').length === 2")

    page.locator("#audit-records tbody tr a").first.click()
    page.wait_for_url("**/audit/records/*/")
    for step in ("received", "detected", "masked", "routed", "answered"):
        assert page.locator(f'[data-step="{step}"]').count() == 1
    assert "matches the record" in page.content()
    shot(page, "audit_record_detail")
    assert page.get_attribute('a[href="/policies/versions/1/"]', "href")

    page.go_back()
    page.wait_for_url("**team=research**")
    with page.expect_download() as info:
        page.click("#export-form button[value=csv]")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {row["id"] for row in rows} == {str(r.id) for r in research}
    assert all(row["hash"] for row in rows)
