from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit import sealing
from audit.models import ChangeEvent
from tests.audit.conftest import write_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread():
    now = timezone.now()
    old = write_record(team="payments", timestamp=now - dt.timedelta(days=3))
    mid = write_record(team="research", timestamp=now - dt.timedelta(days=2))
    new = write_record(team="payments", timestamp=now - dt.timedelta(hours=1))
    sealing.seal_pending()
    return old, mid, new


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("exportaudit", *args, stdout=out, stderr=err)
    return out.getvalue(), json.loads(err.getvalue())


def test_exportaudit_jsonl_with_filters_and_manifest(spread):
    old, _mid, new = spread
    since = (timezone.now() - dt.timedelta(days=4)).date().isoformat()
    body, manifest = _run("--format", "jsonl", "--since", since, "--team", "payments")
    rows = [json.loads(line) for line in body.splitlines()]
    assert [row["id"] for row in rows] == [str(old.id), str(new.id)]
    contract = "id timestamp team key_prefix end_user model_requested backend route policy_version status_code error_code stream entities categories actions latency_ms upstream_ms prompt_tokens completion_tokens cost prev_hash hash"
    assert list(rows[0])[:22] == contract.split()
    assert manifest["count"] == 2 and manifest["exported_by"] == "system"
    assert manifest["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    event = ChangeEvent.objects.get(action="export")
    assert event.actor is None and event.after["filters"]["team"] == "payments"


def test_exportaudit_csv_until(spread):
    _old, mid, _new = spread
    until = (timezone.now() - dt.timedelta(days=1)).isoformat()
    since = (timezone.now() - dt.timedelta(days=2, hours=1)).isoformat()
    body, manifest = _run("--format", "csv", "--since", since, "--until", until)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["id"] for row in rows] == [str(mid.id)]
    assert json.loads(rows[0]["entities"]) == {"KZ_IIN": 1} and manifest["count"] == 1


def test_exportaudit_rejects_a_bad_date():
    with pytest.raises(CommandError, match="since: not an ISO date"):
        call_command("exportaudit", "--format", "csv", "--since", "yesterday")


def test_csv_export_defuses_spreadsheet_formulas_jsonl_keeps_the_value():
    write_record(model_requested='=HYPERLINK("http://evil.example","x")')
    sealing.seal_pending()
    body, _ = _run("--format", "csv")
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["model_requested"].startswith("'=HYPERLINK")
    jsonl, _ = _run("--format", "jsonl")
    assert json.loads(jsonl)["model_requested"].startswith("=HYPERLINK")


def test_a_jsonl_export_can_be_reverified_with_only_hashlib(spread):
    body, _ = _run("--format", "jsonl")
    rows = [json.loads(line) for line in body.splitlines()]
    hashed = set(rows[0]) - {"hash"}  # every exported field but the hash itself
    previous = "0" * 64
    for row in sorted(rows, key=lambda r: r["seq"]):
        doc = {name: row[name] for name in hashed}
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
        assert row["prev_hash"] == previous and digest.hexdigest() == row["hash"]
        previous = row["hash"]
