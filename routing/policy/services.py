"""Every write to policy versions: import, drafts, publication, approval, rollback.

Each service validates the whole document first (nothing changes on error), records one change
event in the same transaction, and bumps the shared version stamp after the commit so every
proxy process picks the new version up within 2 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit import changes
from routing.models import PolicySettings, PolicyVersion
from routing.policy.document import Policy, parse_policy
from routing.policy.serialize import content_hash, to_document
from routing.policy.stamp import policy_stamp_bump

Actor = AbstractBaseUser | None


def _actor_name(actor: Actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _record(
    *, actor: Actor, action: str, target: PolicyVersion, before: Any, after: Any, note: str = ""
) -> None:
    """One change event, in the same transaction as the change."""
    changes.change_event_record(
        actor=actor, action=action, target=target, before=before, after=after, note=note
    )


def _after_commit(number: int) -> None:
    from routing.policy.store import forget

    def bump() -> None:
        policy_stamp_bump(number)
        forget()  # this process re-reads at once instead of within a second

    transaction.on_commit(bump)


def _next_number() -> int:
    # Serialise publishers on the one settings row, so two concurrent publishes cannot take the
    # same number (the unique constraint would refuse the second one anyway).
    PolicySettings.objects.get_or_create(pk=1)
    PolicySettings.objects.select_for_update().filter(pk=1).first()
    return (latest_number() or 0) + 1


def _publish(version: PolicyVersion, *, approver: Actor) -> None:
    version.number = _next_number()
    version.state = PolicyVersion.State.PUBLISHED
    version.published_at = timezone.now()
    if approver is not None:
        version.approved_by = approver
        version.approved_by_name = _actor_name(approver)
    version.save()
    _after_commit(version.number)


@transaction.atomic
def policy_import(*, document: Any, actor: Actor, comment: str = "") -> PolicyVersion:
    """Validate a whole document and publish it as a new version at once.

    Raises PolicyInvalid (every error) and changes nothing when the document is wrong. The
    command line is an operator's tool with shell access to the server, so it does not wait
    for a second officer: maker-checker applies to drafts published from the console.
    """
    policy = parse_policy(document)
    version = _new_version(policy, actor=actor, comment=comment)
    _publish(version, approver=None)
    _record(
        actor=actor,
        action="import",
        target=version,
        before=None,
        after=version.audit_snapshot(),
        note=comment,
    )
    return version


def _new_version(policy: Policy, *, actor: Actor, comment: str, **fields: Any) -> PolicyVersion:
    return PolicyVersion.objects.create(
        document=to_document(policy),
        content_hash=content_hash(policy),
        comment=comment,
        author=actor,
        author_name=_actor_name(actor),
        **fields,
    )


def latest_number() -> int | None:
    return PolicyVersion.objects.aggregate(n=Max("number"))["n"]


DEMO_POLICY_PATH = Path(__file__).resolve().parent.parent / "demo_policy.yaml"


@transaction.atomic
def policy_load_demo(*, actor: Actor = None) -> PolicyVersion | None:
    """Publish the demo policy when no policy version exists at all; else do nothing."""
    if PolicyVersion.objects.exists():
        return None
    document = yaml.safe_load(DEMO_POLICY_PATH.read_text(encoding="utf-8"))
    return policy_import(document=document, actor=actor, comment="demo policy (make run)")
