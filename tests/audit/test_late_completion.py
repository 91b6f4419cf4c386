"""A completion that arrives after its record was sealed as incomplete must not sink its batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from audit import recorder, sealing
from audit.models import AuditRecord


def _values(status: int) -> dict:
    return {
        "status_code": status,
        "error_code": "",
        "backend": "kz-local",
        "residency": "in-country",
        "fallbacks_tried": [],
        "actions": {},
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "cost": Decimal("0"),
        "latency_ms": 5.0,
        "upstream_ms": 1.0,
        "completed_at": timezone.now(),
    }


@pytest.mark.django_db(transaction=True)
def test_late_completion_of_a_sealed_record_is_skipped_and_the_batch_still_lands():
    old = timezone.now() - dt.timedelta(hours=1)  # open far past the grace period
    stale = AuditRecord.objects.create(
        timestamp=old, team="t", key_prefix="kdn_aaaaaaaa", endpoint="chat"
    )
    sealing.seal_pending()
    stale.refresh_from_db()
    assert stale.seq is not None and stale.status_code is None  # sealed as incomplete
    fresh = AuditRecord.objects.create(
        timestamp=timezone.now(), team="t", key_prefix="kdn_aaaaaaaa", endpoint="chat"
    )
    assert set(_values(200)) >= set(recorder.COMPLETION_FIELDS)

    recorder._apply([(stale.id, _values(200)), (fresh.id, _values(201))])

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status_code is None  # the sealed record is untouched
    assert fresh.status_code == 201
