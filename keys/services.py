"""Every write to teams and keys. Each one is atomic, records a change event in the same
transaction and bumps the keys version stamp after commit, so proxies reload within a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.changes import change_event_record
from audit.models import ChangeEvent
from keys import validation as v
from keys.hashing import generate_secret, key_digest, split_prefix
from keys.models import ApiKey, Team
from keys.versioning import keys_version_bump

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave this field as it is" in update services


@transaction.atomic
def team_create(
    *,
    name: str,
    actor: Actor,
    slug: str | None = None,
    leads: Iterable[AbstractBaseUser] = (),
    members: Iterable[AbstractBaseUser] = (),
    rpm_limit: int | None = None,
    tpm_limit: int | None = None,
    monthly_budget_usd: Decimal | str | None = None,
    allowed_models: Iterable[str] = (),
) -> Team:
    errors = v.ErrorCollector()
    name = errors.check(v.clean_name, "name", name)
    team = Team(
        name=name,
        slug=slugify(slug or name or "")[:100],
        rpm_limit=errors.check(v.clean_limit, "rpm_limit", rpm_limit),
        tpm_limit=errors.check(v.clean_limit, "tpm_limit", tpm_limit),
        monthly_budget_usd=errors.check(v.clean_budget, "monthly_budget_usd", monthly_budget_usd),
        allowed_models=errors.check(v.clean_models, "allowed_models", allowed_models) or [],
    )
    if name and not team.slug:
        errors.add(ValidationError({"slug": ["Give a name with at least one letter or digit."]}))
    if name and team.slug:
        errors.check(_check_team_unique, name, team.slug)
    errors.raise_if_any()
    _save_unique(team, field="name", message=f"A team named {name!r} already exists.")
    team.leads.set(list(leads))
    team.members.set(list(members))
    change_event_record(
        actor=actor, action=ChangeEvent.Action.CREATE, target=team, after=team.audit_snapshot()
    )
    transaction.on_commit(keys_version_bump)
    return team


def _record_update(*, actor: Actor, target: Team | ApiKey, before: dict[str, Any]) -> None:
    """One change event and a version bump for proxies, only when something really changed."""
    after = target.audit_snapshot()
    if after != before:
        change_event_record(
            actor=actor, action=ChangeEvent.Action.UPDATE, target=target, before=before, after=after
        )
        transaction.on_commit(keys_version_bump)


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: Actor,
    name: str = UNSET,
    leads: Iterable[AbstractBaseUser] = UNSET,
    members: Iterable[AbstractBaseUser] = UNSET,
    rpm_limit: int | None = UNSET,
    tpm_limit: int | None = UNSET,
    monthly_budget_usd: Decimal | str | None = UNSET,
    allowed_models: Iterable[str] = UNSET,
) -> Team:
    """Change a team; only the fields given. The slug never changes (keys and audit use it)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = team.audit_snapshot()
    if name is not UNSET:
        team.name = v.clean_name("name", name)
        _check_team_unique(team.name, None, team.pk)
    if rpm_limit is not UNSET:
        team.rpm_limit = v.clean_limit("rpm_limit", rpm_limit)
    if tpm_limit is not UNSET:
        team.tpm_limit = v.clean_limit("tpm_limit", tpm_limit)
    if monthly_budget_usd is not UNSET:
        team.monthly_budget_usd = v.clean_budget("monthly_budget_usd", monthly_budget_usd)
    if allowed_models is not UNSET:
        team.allowed_models = v.clean_models("allowed_models", allowed_models)
    _save_unique(team, field="name", message=f"A team named {team.name!r} already exists.")
    if leads is not UNSET:
        team.leads.set(list(leads))
    if members is not UNSET:
        team.members.set(list(members))
    _record_update(actor=actor, target=team, before=before)
    return team


@transaction.atomic
def key_create(
    *,
    team: Team,
    name: str,
    actor: Actor,
    owner: AbstractBaseUser | None = None,
    models: Iterable[str] = (),
    rpm: int | None = None,
    tpm: int | None = None,
    budget: Decimal | str | None = None,
    tags: Iterable[str] = (),
    expires_at: datetime | None = None,
    rotated_from: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key. Returns the key and its secret, which exists nowhere else afterwards."""
    errors = v.ErrorCollector()
    name = errors.check(v.clean_name, "name", name)
    fields = {
        "allowed_models": errors.check(v.clean_models, "allowed_models", models) or [],
        "rpm_limit": errors.check(v.clean_limit, "rpm_limit", rpm),
        "tpm_limit": errors.check(v.clean_limit, "tpm_limit", tpm),
        "monthly_budget_usd": errors.check(v.clean_budget, "monthly_budget_usd", budget),
    }
    key = ApiKey(
        team=team,
        name=name,
        owner=owner,
        tags=errors.check(v.clean_tags, "tags", tags) or [],
        expires_at=errors.check(v.clean_expiry, "expires_at", expires_at),
        rotated_from=rotated_from,
        **fields,
    )
    errors.check(v.check_within_team, team, *fields.values())
    if name and ApiKey.objects.filter(team=team, name__iexact=name).exists():
        errors.add(
            ValidationError({"name": [f"Team {team.slug} already has a key named {name!r}."]})
        )
    errors.raise_if_any()
    secret = _assign_secret(key)
    change_event_record(
        actor=actor, action=ChangeEvent.Action.CREATE, target=key, after=key.audit_snapshot()
    )
    transaction.on_commit(keys_version_bump)
    return key, secret


@transaction.atomic
def key_update(
    *,
    key: ApiKey,
    actor: Actor,
    name: str = UNSET,
    models: Iterable[str] = UNSET,
    rpm: int | None = UNSET,
    tpm: int | None = UNSET,
    budget: Decimal | str | None = UNSET,
    tags: Iterable[str] = UNSET,
    expires_at: datetime | None = UNSET,
) -> ApiKey:
    """Edit a key's name, limits, models, tags or expiry (never its secret)."""
    key = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("team", "owner")
        .get(pk=key.pk)
    )
    if key.revoked_at is not None:
        raise ValidationError({"__all__": ["A revoked key cannot be changed."]})
    before = key.audit_snapshot()
    if name is not UNSET:
        key.name = v.clean_name("name", name)
        clash = ApiKey.objects.filter(team=key.team, name__iexact=key.name).exclude(pk=key.pk)
        if clash.exists():
            raise ValidationError(
                {"name": [f"Team {key.team.slug} already has a key named {key.name!r}."]}
            )
    if models is not UNSET:
        key.allowed_models = v.clean_models("allowed_models", models)
    if rpm is not UNSET:
        key.rpm_limit = v.clean_limit("rpm_limit", rpm)
    if tpm is not UNSET:
        key.tpm_limit = v.clean_limit("tpm_limit", tpm)
    if budget is not UNSET:
        key.monthly_budget_usd = v.clean_budget("monthly_budget_usd", budget)
    if tags is not UNSET:
        key.tags = v.clean_tags("tags", tags)
    if expires_at is not UNSET and expires_at != key.expires_at:
        key.expires_at = v.clean_expiry("expires_at", expires_at)
    v.check_within_team(
        key.team,
        allowed_models=key.allowed_models,
        rpm_limit=key.rpm_limit,
        tpm_limit=key.tpm_limit,
        monthly_budget_usd=key.monthly_budget_usd,
    )
    _save_unique(key, field="name", message=f"Team {key.team.slug} already has that key name.")
    _record_update(actor=actor, target=key, before=before)
    return key


@transaction.atomic
def key_revoke(*, key: ApiKey, actor: Actor, reason: str) -> ApiKey:
    """Disable a key for good; every proxy process drops it within a second of the commit."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": ["Say why the key is revoked."]})
    if len(reason) > 500:
        raise ValidationError({"reason": ["Use at most 500 characters."]})
    key = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("team", "owner")
        .get(pk=key.pk)
    )
    if key.revoked_at is not None:
        raise ValidationError({"__all__": [f"Key {key.prefix} is already revoked."]})
    before = key.audit_snapshot()
    key.revoked_at = timezone.now()
    key.revoked_reason = reason
    key.save(update_fields=["revoked_at", "revoked_reason"])
    change_event_record(
        actor=actor,
        action=ChangeEvent.Action.REVOKE,
        target=key,
        before=before,
        after=key.audit_snapshot(),
        note=reason,
    )
    transaction.on_commit(keys_version_bump)
    return key


@transaction.atomic
def key_rotate(*, key: ApiKey, actor: Actor, grace_seconds: int = 0) -> tuple[ApiKey, str]:
    """Replace a key with a new secret and the same settings.

    The new key takes the old name; the old one is renamed "<name> (replaced <prefix>)" and
    expires after `grace_seconds` (0: at once), so clients can switch without an outage.
    """
    if not isinstance(grace_seconds, int) or not 0 <= grace_seconds <= 30 * 86400:
        raise ValidationError({"grace_seconds": ["Give 0 to 2592000 seconds (30 days)."]})
    old = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("team", "owner")
        .get(pk=key.pk)
    )
    if old.state() != ApiKey.State.ACTIVE:
        raise ValidationError({"__all__": [f"Key {old.prefix} is {old.state()}: issue a new one."]})
    if ApiKey.objects.filter(rotated_from=old).exists():
        raise ValidationError({"__all__": [f"Key {old.prefix} was already rotated."]})
    before = old.audit_snapshot()
    name = old.name
    old.name = f"{name[:80]} (replaced {old.prefix})"
    grace_end = timezone.now() + timedelta(seconds=grace_seconds)
    old.expires_at = min(old.expires_at, grace_end) if old.expires_at else grace_end
    old.save(update_fields=["name", "expires_at"])
    new, secret = key_create(
        team=old.team,
        name=name,
        actor=actor,
        owner=old.owner,
        models=old.allowed_models,
        rpm=old.rpm_limit,
        tpm=old.tpm_limit,
        budget=old.monthly_budget_usd,
        tags=old.tags,
        expires_at=None,
        rotated_from=old,
    )
    change_event_record(
        actor=actor,
        action=ChangeEvent.Action.ROTATE,
        target=old,
        before=before,
        after={**old.audit_snapshot(), "replaced_by": new.prefix},
        note=f"grace period {grace_seconds} s",
    )
    return new, secret


def _assign_secret(key: ApiKey) -> str:
    """Give the key a fresh secret; retry in the astronomically rare case of a prefix clash."""
    for _attempt in range(5):
        secret = generate_secret()
        key.prefix = split_prefix(secret)
        key.digest = key_digest(secret)
        try:
            with transaction.atomic():
                key.save()
        except IntegrityError:
            if ApiKey.objects.filter(prefix=key.prefix).exists():
                continue
            raise ValidationError(
                {"name": [f"Team {key.team.slug} already has a key named {key.name!r}."]}
            ) from None
        return secret
    raise RuntimeError("could not find a free key prefix")


def _check_team_unique(name: str, slug: str | None, exclude: int | None = None) -> None:
    teams = Team.objects.exclude(pk=exclude) if exclude else Team.objects.all()
    if teams.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A team named {name!r} already exists."]})
    if slug and teams.filter(slug=slug).exists():
        raise ValidationError({"slug": [f"A team with the slug {slug!r} already exists."]})


def _save_unique(obj: Team | ApiKey, *, field: str, message: str) -> None:
    """Save; a unique clash from a concurrent writer becomes a clear field error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({field: [message]}) from None
