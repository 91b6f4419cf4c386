from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import alerts, dashboard, sealing
from audit.models import AuditAlert, AuditRollup
from audit.selectors import AuditScope
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db

DASHBOARD_MATRIX = [
    ("anonymous", 302),
    ("outsider", 403),
    ("team_lead", 403),
    ("compliance_officer", 200),
    ("auditor", 200),
    ("admin", 200),
]


@pytest.fixture
def traffic(personas):
    payments = personas["teams"]["payments"]
    payments.monthly_budget_usd = Decimal("0.001")
    payments.save()
    now = timezone.now()
    for i in range(10):
        write_record(team="payments", team_id=payments.id, timestamp=now - dt.timedelta(minutes=i),
                     latency_ms=50.0 + i, upstream_ms=40.0)  # fmt: skip
    for _ in range(4):
        write_record(team="research", team_id=personas["teams"]["research"].id, backend="cloud",
                     residency="external", route="default", entities={}, categories=[], actions={})  # fmt: skip
    write_record(team="research", backend="", residency="", status_code=403, error_code="blocked_by_policy",
                 latency_ms=3.0, upstream_ms=None, cost=None)  # fmt: skip
    sealing.seal_pending()
    dashboard.rollup_recent()


@pytest.mark.parametrize(("persona", "status"), DASHBOARD_MATRIX)
def test_dashboard_access(audit_client_for, traffic, persona, status):
    assert audit_client_for(persona).get(reverse("audit:audit_dashboard")).status_code == status


def test_rollups_and_figures(traffic):
    assert AuditRollup.objects.count() >= 3
    data = dashboard.dashboard_data(
        window="24h", scope=AuditScope(all_teams=True), budgets=dashboard.team_budgets()
    )
    assert data.total == 15 and data.sensitive_total == 11
    assert data.sensitive_where == {"in-country": 10, "refused": 1}
    assert dict(data.categories) == {"national-id": 11}
    # overhead = latency - upstream = 10..19 ms for the served in-country ones, 3 ms refused
    assert data.latency["overhead_p50"] == 20 and data.latency["upstream_p95"] == 50
    spend = {team: (cost, budget) for team, cost, budget in data.spend}
    assert spend["payments"] == (Decimal("0.00123450"), Decimal("0.0010"))
    assert "<svg" in data.charts["residency"] and "budget $0.001" in data.charts["spend"]


def test_dashboard_page_renders_charts(audit_client_for, traffic):
    page = (
        audit_client_for("auditor")
        .get(reverse("audit:audit_dashboard"), {"window": "7d"})
        .content.decode()
    )
    assert (
        page.count("<svg") >= 5 and "Requests by backend residency" in page and "Hash chain" in page
    )


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KORDON_ALERT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield _Hook.received
    server.shutdown()
    server.server_close()


def test_alert_on_in_country_drop_and_failed_spike_reaches_the_webhook(webhook):
    now = timezone.now().replace(minute=30)
    base = now - dt.timedelta(hours=5)
    for i in range(30):  # yesterday-ish: sensitive requests stayed home, nothing failed
        write_record(timestamp=base - dt.timedelta(minutes=i))
    for i in range(12):  # this hour: sensitive requests went abroad
        write_record(timestamp=now - dt.timedelta(minutes=i), backend="cloud", residency="external")
    for i in range(12):
        write_record(
            timestamp=now - dt.timedelta(minutes=i), status_code=502, error_code="upstream_error"
        )
    dashboard.rollup_range(base - dt.timedelta(hours=1), now)
    raised = alerts.alerts_check(now=now)
    assert {a.kind for a in raised} == {"in_country_drop", "failed_spike"}
    assert {hook["kind"] for hook in webhook} == {"in_country_drop", "failed_spike"}
    assert all(a.delivered_at for a in AuditAlert.objects.all())
    assert alerts.alerts_check(now=now) == []  # once an hour per kind


def test_alert_webhook_failure_is_recorded(settings):
    settings.KORDON_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    alert = AuditAlert.objects.create(created_at=timezone.now(), kind="blocked_spike", message="m")
    alerts.deliver(alert)
    alert.refresh_from_db()
    assert alert.delivered_at is None and alert.delivery_error == "ConnectError"


def test_no_alert_on_steady_traffic(webhook):
    now = timezone.now().replace(minute=30)
    for i in range(30):
        write_record(timestamp=now - dt.timedelta(hours=5, minutes=i))
        write_record(timestamp=now - dt.timedelta(minutes=i))
    dashboard.rollup_range(now - dt.timedelta(hours=7), now)
    assert alerts.alerts_check(now=now) == [] and webhook == []
