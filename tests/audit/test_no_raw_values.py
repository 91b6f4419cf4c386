"""Requests full of sensitive values go through the real pipeline (official openai client →
live Kordon process → HTTP upstreams on 127.0.0.1); then the database dump, the exports and the
logs are searched for every raw value. Only counts, types and keyed hashes may be there."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import openai
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from audit import sealing, verification
from audit.models import AuditRecord
from tests.routing.conftest import live_server_process, proxy, upstreams  # noqa: F401
from tests.routing.test_privacy import iin

IIN = iin("90010130012")
VALUES = {
    "KZ_IIN": IIN,
    "EMAIL_ADDRESS": "ivan.petrov@example.kz",
    "PHONE_NUMBER": "+7 701 123 45 67",
    "CREDIT_CARD": "4111 1111 1111 1111",
    "IBAN_CODE": "KZ86125KZT5004100100",
    "US_SSN": "078-05-1120",
    "SECRET": "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
    "PERSON": "Maria Gonzalez",
    "INTERNAL_PROJECT": "PRJ-4821",
}
END_USER = "ceo.private@example.kz"


def _needles() -> list[str]:
    needles = [*VALUES.values(), END_USER]
    needles += [re.sub(r"\D", "", v) for v in (VALUES["CREDIT_CARD"], VALUES["PHONE_NUMBER"])]
    return needles


def _database_dump() -> str:
    name = str(settings.DATABASES["default"]["NAME"])
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        cmd = [
            "pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-U",
            db["USER"] or "postgres",
            name,
        ]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    connection.close()
    data = b"".join(p.read_bytes() for p in Path(name).parent.glob(Path(name).name + "*"))
    return data.decode("utf-8", "replace")


def test_no_raw_value_in_database_exports_or_logs(proxy, caplog):  # noqa: F811
    client = proxy.client()
    prompts = [
        f"Client IIN {IIN}, card {VALUES['CREDIT_CARD']}, IBAN {VALUES['IBAN_CODE']}",
        f"Write to {VALUES['EMAIL_ADDRESS']} or call {VALUES['PHONE_NUMBER']}; {VALUES['PERSON']} asked",
        f"SSN {VALUES['US_SSN']} about project {VALUES['INTERNAL_PROJECT']}",
    ]
    for prompt in prompts:
        client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": prompt}], user=END_USER
        )
    stream = client.chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": prompts[1]}],
        stream=True,
        user=END_USER,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="assistant",
            messages=[{"role": "user", "content": f"deploy with {VALUES['SECRET']}"}],
        )
    client.embeddings.create(model="embed", input=[prompts[0]])
    records = proxy.records(6)
    sealing.seal_pending()
    assert AuditRecord.objects.filter(seq__isnull=True).count() == 0
    assert verification.verify_chain().ok
    seen = {entity for r in records for entity in r.entities}
    assert {"KZ_IIN", "CREDIT_CARD", "EMAIL_ADDRESS", "SECRET"} <= seen  # detection really ran
    assert all(r.end_user in ("", records[0].end_user) for r in records) and records[0].end_user

    jsonl, csv_out = io.StringIO(), io.StringIO()
    call_command("exportaudit", "--format", "jsonl", stdout=jsonl, stderr=io.StringIO())
    call_command("exportaudit", "--format", "csv", stdout=csv_out, stderr=io.StringIO())
    haystacks = {
        "database dump": _database_dump(),
        "jsonl export": jsonl.getvalue(),
        "csv export": csv_out.getvalue(),
        "server log": proxy.server.output(),
        "test log": caplog.text,
    }
    assert len(haystacks["jsonl export"].splitlines()) == 6
    assert "KZ_IIN" in haystacks["database dump"]  # the dump is real and holds the records
    leaks = [
        (where, needle)
        for where, text in haystacks.items()
        for needle in _needles()
        if needle in text
    ]
    assert leaks == []
