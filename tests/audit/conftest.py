"""Audit test helpers: records written the way the proxy's recorder writes them."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditRecord

_counter = itertools.count(1)


def write_record(
    *,
    team: str = "payments",
    team_id: int | None = 1,
    completed: bool = True,
    timestamp: dt.datetime | None = None,
    **fields,
) -> AuditRecord:
    """Open and (optionally) complete one record, as two writes like the recorder does."""
    n = next(_counter)
    now = timestamp or timezone.now()
    record = AuditRecord.objects.create(
        id=uuid.uuid4(),
        timestamp=now,
        team=team,
        team_id=team_id,
        key_prefix=fields.pop("key_prefix", "kdn_abcd1234"),
        end_user=fields.pop("end_user", ""),
        endpoint=fields.pop("endpoint", "chat"),
        model_requested=fields.pop("model_requested", "assistant"),
        backend=fields.pop("backend", "kz-local"),
        route=fields.pop("route", "ids-stay-home"),
        residency=fields.pop("residency", "in-country"),
        policy_version=fields.pop("policy_version", 1),
        stream=fields.pop("stream", False),
        entities=fields.pop("entities", {"KZ_IIN": 1}),
        categories=fields.pop("categories", ["national-id"]),
        actions=fields.pop("actions", {"placeholder": 1}),
    )
    if completed:
        values = {
            "status_code": 200,
            "error_code": "",
            "latency_ms": 40.0 + n % 7,
            "upstream_ms": 30.0 + n % 5,
            "prompt_tokens": 12,
            "completion_tokens": 30,
            "cost": Decimal("0.00012345"),
            "completed_at": now + dt.timedelta(milliseconds=40),
        }
        values.update(fields)
        AuditRecord.objects.filter(id=record.id).update(**values)
        record.refresh_from_db()
    return record


@pytest.fixture
def record_factory():
    return write_record


PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def personas(db):
    """Users in the real role groups (console.roles), plus two teams with one led."""
    from django.contrib.auth import get_user_model

    from console import roles
    from keys.models import Team

    groups = roles.ensure_roles()
    payments = Team.objects.create(name="payments", slug="payments")
    research = Team.objects.create(name="research", slug="research")
    users = {}
    for name, role in [
        ("outsider", None),
        ("auditor", roles.AUDITOR),
        ("team_lead", roles.TEAM_LEAD),
        ("compliance_officer", roles.COMPLIANCE_OFFICER),
        ("admin", roles.ADMIN),
    ]:
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        if role:
            user.groups.add(groups[role])
        users[name] = user
    payments.leads.add(users["team_lead"])
    return {"users": users, "teams": {"payments": payments, "research": research}}


@pytest.fixture
def audit_client_for(personas):
    from django.test import Client

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(personas["users"][persona])
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.KORDON_AUDIT_EXPORT_DIR = tmp_path / "exports"
