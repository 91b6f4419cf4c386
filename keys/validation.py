"""Normalising and checking team and key settings; errors name the model field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from keys.models import Team

ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}\Z")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")  # \Z: `$` passes a trailing newline
MAX_BUDGET = Decimal("99999999.9999")  # max_digits=12, decimal_places=4


def clean_name(field: str, value: str, *, max_length: int = 100) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError({field: ["This field is required."]})
    if len(name) > max_length:
        raise ValidationError({field: [f"Use at most {max_length} characters."]})
    return name


def clean_models(field: str, values: Iterable[str] | None) -> list[str]:
    """Model aliases, stripped and de-duplicated, order kept."""
    result: list[str] = []
    for raw in values or ():
        alias = str(raw).strip()
        if not alias:
            continue
        if not ALIAS_RE.match(alias):
            raise ValidationError({field: [f"{alias!r} is not a valid model alias."]})
        if alias not in result:
            result.append(alias)
    return result


def clean_tags(field: str, values: Iterable[str] | None) -> list[str]:
    result: list[str] = []
    for raw in values or ():
        tag = str(raw).strip().lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise ValidationError(
                {field: [f"{tag!r}: use lower-case letters, digits, '-' or '_' (max 40)."]}
            )
        if tag not in result:
            result.append(tag)
    return result


def clean_limit(field: str, value: Any) -> int | None:
    """A positive per-minute limit, or None for "no limit of its own"."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: ["Enter a whole number."]}) from None
    if isinstance(value, float | Decimal) and number != value:
        raise ValidationError({field: ["Enter a whole number."]})
    if number < 1 or number > 2_147_483_647:
        raise ValidationError({field: ["Enter a number of at least 1."]})
    return number


def clean_budget(field: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: ["Enter an amount in USD, e.g. 250 or 99.50."]}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_BUDGET:
        raise ValidationError({field: ["Enter an amount between 0 and 99999999.9999 USD."]})
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValidationError({field: ["Use at most 4 decimal places."]})
    return amount


def clean_expiry(field: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        raise ValidationError({field: ["Give the time zone."]})
    if value <= timezone.now():
        raise ValidationError({field: ["The expiry must be in the future."]})
    return value


def check_within_team(
    team: Team,
    allowed_models: list[str],
    rpm_limit: int | None,
    tpm_limit: int | None,
    monthly_budget_usd: Decimal | None,
) -> None:
    """A key never gets more than its team: the admin sets the team, leads work inside it."""
    errors: dict[str, list[str]] = {}
    if team.allowed_models:
        outside = [m for m in allowed_models if m not in team.allowed_models]
        if outside:
            errors["allowed_models"] = [
                f"Not allowed for team {team.slug}: {', '.join(outside)}. "
                f"The team may use: {', '.join(team.allowed_models)}."
            ]
    for field, mine, teams in (
        ("rpm_limit", rpm_limit, team.rpm_limit),
        ("tpm_limit", tpm_limit, team.tpm_limit),
        ("monthly_budget_usd", monthly_budget_usd, team.monthly_budget_usd),
    ):
        if mine is not None and teams is not None and mine > teams:
            errors[field] = [f"Must be at most the team's limit ({teams})."]
    if errors:
        raise ValidationError(errors)


class ErrorCollector:
    """Run several field checks and report every failure at once, not just the first."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except ValidationError as error:
            self.add(error)
            return None

    def add(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.errors.setdefault(field, []).extend(messages)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
