"""Every write to policy versions: import, drafts, publication, approval, rollback.

Each service validates the whole document first (nothing changes on error), records one change
event in the same transaction, and bumps the shared version stamp after the commit so every
proxy process picks the new version up within 2 s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit import changes
from routing.models import PolicySettings, PolicyVersion
from routing.policy.document import Policy, parse_policy
from routing.policy.serialize import content_hash, to_document
from routing.policy.stamp import policy_stamp_bump

Actor: TypeAlias = AbstractBaseUser | None


def _actor_name(actor: Actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _record(
    *, actor: Actor, action: str, target: PolicyVersion, before: Any, after: Any, note: str = ""
) -> None:
    """One change event, in the same transaction as the change."""
    changes.change_event_record(
        actor=actor, action=action, target=target, before=before, after=after, note=note
    )


def _after_commit(number: int, digest: str) -> None:
    from routing.policy.store import forget

    def bump() -> None:
        policy_stamp_bump(number, digest)
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
    _after_commit(version.number, version.content_hash)


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


class WorkflowError(Exception):
    """A publication step that is not allowed now (wrong state, same person approving, ...)."""


def maker_checker_enabled() -> bool:
    """The console setting; when never set, on by default outside the demo."""
    row = PolicySettings.objects.filter(pk=1).first()
    if row is None or row.maker_checker is None:
        return not settings.KORDON_DEMO
    return row.maker_checker


@transaction.atomic
def policy_settings_update(*, maker_checker: bool, actor: Actor) -> PolicySettings:
    row, _ = PolicySettings.objects.select_for_update().get_or_create(pk=1)
    before = {"maker_checker": maker_checker_enabled()}
    row.maker_checker = maker_checker
    row.save()
    changes.change_event_record(
        actor=actor,
        action="update",
        target=row,
        before=before,
        after={"maker_checker": maker_checker},
    )
    return row


def current_draft() -> PolicyVersion | None:
    """The one working draft (editable, or pending approval), if any."""
    open_states = [PolicyVersion.State.DRAFT, PolicyVersion.State.PENDING]
    return PolicyVersion.objects.filter(state__in=open_states).order_by("-created_at").first()


@transaction.atomic
def policy_draft_start(*, actor: Actor) -> PolicyVersion:
    """Open the working draft as a copy of the live version (there is only ever one draft)."""
    existing = current_draft()
    if existing is not None:
        return existing
    live = (
        PolicyVersion.objects.filter(state=PolicyVersion.State.PUBLISHED)
        .order_by("-number")
        .first()
    )
    if live is None:
        raise WorkflowError("there is no published policy to start a draft from: import one")
    draft = PolicyVersion.objects.create(
        state=PolicyVersion.State.DRAFT,
        document=live.document,
        content_hash=live.content_hash,
        author=actor,
        author_name=_actor_name(actor),
        based_on=live.number,
    )
    _record(actor=actor, action="create", target=draft, before=None, after=draft.audit_snapshot())
    return draft


@transaction.atomic
def policy_draft_update(
    *,
    draft: PolicyVersion,
    actor: Actor,
    document: Any = None,
    edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> PolicyVersion:
    """Replace the draft's document, or apply `edit` to it, after validating all of it.

    `edit` runs on the draft as it is under the row lock, so two officers editing at once do
    not lose each other's changes. PolicyInvalid (every error): nothing saved.
    """
    draft = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.state != PolicyVersion.State.DRAFT:
        raise WorkflowError("only a draft can be edited (this one is waiting for approval)")
    if edit is not None:
        document = edit(draft.document)
    policy = parse_policy(document)
    before = {"content_hash": draft.content_hash}
    draft.document = to_document(policy)
    draft.content_hash = content_hash(policy)
    draft.save(update_fields=["document", "content_hash", "updated_at"])
    _record(
        actor=actor,
        action="update",
        target=draft,
        before=before,
        after={"content_hash": draft.content_hash},
    )
    return draft


@transaction.atomic
def policy_draft_discard(*, draft: PolicyVersion, actor: Actor) -> None:
    draft = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.state != PolicyVersion.State.DRAFT:
        raise WorkflowError("only a draft can be discarded")
    _record(actor=actor, action="delete", target=draft, before=draft.audit_snapshot(), after=None)
    draft.delete()


@transaction.atomic
def policy_publish(*, draft: PolicyVersion, actor: Actor, comment: str) -> PolicyVersion:
    """Publish the draft now, or, with maker-checker on, submit it for a second officer.

    The draft is re-validated; the submitter becomes the version's author (the maker).
    """
    draft = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.state != PolicyVersion.State.DRAFT:
        raise WorkflowError("this draft is not open for publication")
    parse_policy(draft.document)  # fail closed: never publish something the proxy cannot load
    before = draft.audit_snapshot()
    draft.author = actor
    draft.author_name = _actor_name(actor)
    draft.comment = comment
    draft.rejected_reason = ""
    draft.rejected_by_name = ""
    draft.submitted_at = timezone.now()
    if maker_checker_enabled():
        draft.state = PolicyVersion.State.PENDING
        draft.save()
    else:
        _publish(draft, approver=None)
    _record(
        actor=actor,
        action="publish",
        target=draft,
        before=before,
        after=draft.audit_snapshot(),
        note=comment,
    )
    return draft


def _pending_for_review(
    draft: PolicyVersion, actor: Actor, *, author_refusal: str
) -> PolicyVersion:
    """The draft, locked, if it waits for approval and `actor` is not its author (maker-checker)."""
    draft = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.state != PolicyVersion.State.PENDING:
        raise WorkflowError("this draft is not waiting for approval")
    if actor is None or draft.author_id == actor.pk:
        raise WorkflowError(author_refusal)
    return draft


@transaction.atomic
def policy_approve(*, draft: PolicyVersion, actor: Actor, content_hash_seen: str) -> PolicyVersion:
    """A second officer approves exactly the content they reviewed; it goes live."""
    draft = _pending_for_review(
        draft,
        actor,
        author_refusal="a different officer must approve: the author cannot approve their own draft",
    )
    if draft.content_hash != content_hash_seen:
        raise WorkflowError("the draft changed since you reviewed it: review it again")
    parse_policy(draft.document)
    before = draft.audit_snapshot()
    _publish(draft, approver=actor)
    _record(
        actor=actor, action="approve", target=draft, before=before, after=draft.audit_snapshot()
    )
    return draft


@transaction.atomic
def policy_reject(*, draft: PolicyVersion, actor: Actor, reason: str) -> PolicyVersion:
    """Send a pending draft back to its author, editable again, with the reason shown."""
    draft = _pending_for_review(
        draft, actor, author_refusal="a different officer must review the draft"
    )
    if not reason.strip():
        raise WorkflowError("a rejection needs a reason")
    before = draft.audit_snapshot()
    draft.state = PolicyVersion.State.DRAFT
    draft.rejected_reason = reason.strip()
    draft.rejected_by_name = _actor_name(actor)
    draft.submitted_at = None
    draft.save()
    _record(
        actor=actor,
        action="reject",
        target=draft,
        before=before,
        after=draft.audit_snapshot(),
        note=reason,
    )
    return draft


@transaction.atomic
def policy_rollback(*, number: int, actor: Actor, comment: str = "") -> PolicyVersion:
    """Publish a new version whose document equals version `number`'s.

    Restoring a version that was already approved and live does not wait for a second officer:
    the point of a rollback is to undo a bad change quickly. It is recorded like any publish.
    """
    old = PolicyVersion.objects.filter(number=number, state=PolicyVersion.State.PUBLISHED).first()
    if old is None:
        raise WorkflowError(f"there is no published version {number}")
    policy = parse_policy(old.document)
    version = _new_version(
        policy,
        actor=actor,
        comment=comment or f"rollback to version {number}",
        restored_from=number,
        state=PolicyVersion.State.PUBLISHED,
    )
    _publish(version, approver=None)
    _record(
        actor=actor,
        action="publish",
        target=version,
        before=None,
        after=version.audit_snapshot(),
        note=version.comment,
    )
    return version


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
