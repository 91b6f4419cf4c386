"""The chain under several writer processes and several sealer processes at once (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from audit import sealing, verification
from audit.models import AuditRecord
from tests.services import need

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import django, sys
django.setup()
from tests.audit.conftest import write_record
for i in range(int(sys.argv[1])):
    write_record(team=f"proc-{sys.argv[2]}", completed=True)
"""
SEALER = """
import django, os, sys
django.setup()
from audit import sealing
total = 0
while not os.path.exists(sys.argv[1]):
    total += sealing.seal_pending().sealed
print(total)
"""


@pytest.mark.django_db(transaction=True)
def test_writer_and_sealer_processes_build_one_verifiable_chain(tmp_path):
    need("DATABASE_URL")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.routing.server_settings",
        "KORDON_TEST_DB_NAME": str(settings.DATABASES["default"]["NAME"]),
        "PYTHONPATH": str(ROOT),
    }

    def spawn(code: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )

    stop = tmp_path / "stop"
    sealers = [spawn(SEALER, str(stop)) for _ in range(2)]
    writers = [spawn(WRITER, "150", str(n)) for n in range(4)]
    assert [w.wait(120) for w in writers] == [0, 0, 0, 0]
    stop.touch()
    sealed_by_processes = sum(int(s.communicate(timeout=60)[0].split()[-1]) for s in sealers)
    assert sealed_by_processes > 0  # the sealers really ran alongside the writers
    sealing.seal_pending()
    assert AuditRecord.objects.count() == 600
    assert AuditRecord.objects.filter(seq__isnull=True).count() == 0
    result = verification.verify_chain()
    assert result.ok and result.checked == 600 and result.head_seq == 600
