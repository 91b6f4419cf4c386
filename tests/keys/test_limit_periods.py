"""The periods limits count in: a budget's month turns over at midnight UTC, to the second."""

from __future__ import annotations

import datetime as dt

import pytest

from keys.limits import _month


def _ts(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        ("2026-01-31T23:59:59.999", "202601"),
        ("2026-02-01T00:00:00", "202602"),
        ("2026-12-31T23:59:59", "202612"),
        ("2027-01-01T00:00:00", "202701"),
        ("2028-02-29T12:00:00", "202802"),
    ],
)
def test_month_is_the_utc_calendar_month(moment: str, month: str) -> None:
    assert _month(_ts(moment)) == month


def test_month_is_the_same_on_repeated_calls_across_days() -> None:
    days = [_ts(f"2026-03-{d:02d}T08:00:00") for d in range(1, 32)]
    assert {_month(t) for t in days * 2} == {"202603"}
