"""Policy console, part 1: the overview and the draft editors (backends, categories, masking,
routes). Every edit goes into the one working draft through routing.policy.services; the live
policy changes only by publishing (views_versions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.htmx import AuthedHtmxRequest
from routing import forms
from routing.models import PolicyVersion
from routing.policy import editing, selectors, services
from routing.policy.diff import describe_changes
from routing.policy.document import PolicyInvalid, parse_policy
from routing.policy.patterns import pattern_problem
from routing.policy.selftest import run_selftest

FORMS: dict[str, type[forms.PolicyItemForm]] = {
    "backends": forms.BackendForm,
    "categories": forms.CategoryForm,
    "routes": forms.RouteForm,
}
SINGULAR = {"backends": "backend", "categories": "category", "routes": "route"}


def _posted(request: AuthedHtmxRequest) -> Any:
    """POST data for a bound form (even when empty: an unticked checkbox is a real answer)."""
    return request.POST if request.method == "POST" else None


def _draft_or_404() -> PolicyVersion:
    draft = services.current_draft()
    if draft is None:
        raise Http404("no draft")
    return draft


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def policy_home(request: AuthedHtmxRequest) -> HttpResponse:
    context = {
        "live": selectors.live_version(),
        "draft": services.current_draft(),
        "maker_checker": services.maker_checker_enabled(),
        "recent": selectors.policy_version_list(user=request.user)[:5],
    }
    return render(request, "routing/policy_home.html", context)


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def draft_detail(request: AuthedHtmxRequest) -> HttpResponse:
    draft = services.current_draft()
    if draft is None:
        return redirect("routing:policy_home")
    policy = parse_policy(draft.document)
    live = selectors.live_version()
    changes: list[Any] = []
    lowered: list[str] = []
    if live is not None and live.content_hash != draft.content_hash:
        changes = describe_changes(live.document, draft.document)
        # Flag, before publishing, any category the draft catches less of than the live policy.
        lowered = run_selftest(*selectors.compiled(draft)).lowered(
            run_selftest(*selectors.compiled(live))
        )
    user = request.user
    context = {
        "draft": draft,
        "policy": policy,
        "masking_rows": [(c.name, policy.masking.get(c.name)) for c in policy.categories],
        "live": live,
        "changes": changes,
        "selftest_lowered": lowered,
        "editable": draft.state == PolicyVersion.State.DRAFT
        and user.has_perm("routing.change_policyversion"),
        "can_publish": draft.state == PolicyVersion.State.DRAFT
        and user.has_perm("routing.publish_policyversion"),
        "can_review": draft.state == PolicyVersion.State.PENDING
        and user.has_perm("routing.approve_policyversion")
        and draft.author_id != user.pk,
        "publish_form": forms.PublishForm(),
        "approve_form": forms.ApproveForm(initial={"content_hash": draft.content_hash}),
        "reject_form": forms.RejectForm(),
        "maker_checker": services.maker_checker_enabled(),
    }
    return render(request, "routing/policy_draft.html", context)


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_POST
def draft_start(request: AuthedHtmxRequest) -> HttpResponse:
    try:
        services.policy_draft_start(actor=request.user)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("routing:policy_home")
    return redirect("routing:draft_detail")


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_POST
def draft_discard(request: AuthedHtmxRequest) -> HttpResponse:
    try:
        services.policy_draft_discard(draft=_draft_or_404(), actor=request.user)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("routing:draft_detail")
    messages.success(request, "Draft discarded.")
    return redirect("routing:policy_home")


def _save(
    request: AuthedHtmxRequest,
    draft: PolicyVersion,
    edit: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[tuple[str, str]]:
    """Apply `edit` to the draft as it is now (under its lock); the errors when refused."""
    try:
        services.policy_draft_update(draft=draft, edit=edit, actor=request.user)
    except KeyError:
        return [("draft", "that entry no longer exists in the draft")]
    except PolicyInvalid as exc:
        return exc.errors
    except services.WorkflowError as exc:
        return [("draft", str(exc))]
    return []


def _item_form(
    section: str, draft: PolicyVersion, data: Any = None, initial: Any = None
) -> forms.PolicyItemForm:
    form_class = FORMS[section]
    if form_class is forms.RouteForm:
        return form_class(data, initial=initial, policy=parse_policy(draft.document))  # type: ignore[call-arg]
    return form_class(data, initial=initial)


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def item_edit(request: AuthedHtmxRequest, section: str, name: str | None = None) -> HttpResponse:
    """Add (name None) or edit one backend, category or route of the draft."""
    if section not in FORMS:
        raise Http404
    draft = _draft_or_404()
    items = draft.document.get(section, [])
    index = next((i for i, it in enumerate(items) if it["name"] == name), None)
    if name is not None and index is None:
        raise Http404
    initial = FORMS[section].initial_from(items[index]) if index is not None else None
    form = _item_form(section, draft, _posted(request), initial)
    if request.method == "POST" and form.is_valid():
        item = form.to_item()
        errors = _save(request, draft, lambda doc: editing.upsert_item(doc, section, name, item))
        if not errors:
            messages.success(
                request, f"Draft updated: {SINGULAR[section]} {form.cleaned_data['name']}."
            )
            return redirect(f"{_draft_url()}#{section}")
        position = index if index is not None else len(items)
        form.add_policy_errors(errors, f"{section}[{position}]")
    context = {
        "form": form,
        "section": section,
        "singular": SINGULAR[section],
        "name": name,
        "draft": draft,
    }
    return render(request, "routing/policy_item_form.html", context)


def _draft_url() -> str:
    from django.urls import reverse

    return reverse("routing:draft_detail")


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_POST
def item_delete(request: AuthedHtmxRequest, section: str, name: str) -> HttpResponse:
    if section not in FORMS:
        raise Http404
    draft = _draft_or_404()
    errors = _save(request, draft, lambda doc: editing.delete_item(doc, section, name))
    if errors:
        lines = "; ".join(f"{p}: {r}" for p, r in errors)
        messages.error(request, f"Cannot remove {SINGULAR[section]} {name}: {lines}")
    else:
        messages.success(request, f"Draft updated: {SINGULAR[section]} {name} removed.")
    return redirect(f"{_draft_url()}#{section}")


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_POST
def route_move(request: AuthedHtmxRequest, name: str) -> HttpResponse:
    draft = _draft_or_404()
    delta = -1 if request.POST.get("direction") == "up" else 1
    errors = _save(request, draft, lambda doc: editing.move_route(doc, name, delta))
    if errors:
        messages.error(request, "; ".join(f"{p}: {r}" for p, r in errors))
    return redirect(f"{_draft_url()}#routes")


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def masking_edit(request: AuthedHtmxRequest) -> HttpResponse:
    draft = _draft_or_404()
    form = forms.MaskingForm(_posted(request), policy=parse_policy(draft.document))
    if request.method == "POST" and form.is_valid():
        rules = form.rules()
        errors = _save(request, draft, lambda doc: editing.set_masking(doc, rules))
        if not errors:
            messages.success(request, "Draft updated: masking.")
            return redirect(f"{_draft_url()}#masking")
        for path, reason in errors:
            form.add_error(None, f"{path}: {reason}")
    return render(request, "routing/policy_masking_form.html", {"form": form, "draft": draft})


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_POST
def pattern_check(request: AuthedHtmxRequest) -> HttpResponse:
    """Live validation of the patterns textarea (htmx, as the officer types)."""
    lines = [line.strip() for line in request.POST.get("patterns", "").splitlines()]
    patterns = [line for line in lines if line][:100]
    results = [(i, line, pattern_problem(line)) for i, line in enumerate(patterns)]
    return render(request, "routing/_pattern_check.html", {"results": results})


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def options_edit(request: AuthedHtmxRequest) -> HttpResponse:
    draft = _draft_or_404()
    form = forms.OptionsForm(_posted(request), policy=parse_policy(draft.document))
    if request.method == "POST" and form.is_valid():
        options = form.to_options()
        errors = _save(request, draft, lambda doc: editing.set_options(doc, options))
        if not errors:
            messages.success(request, "Draft updated: options.")
            return redirect(f"{_draft_url()}#options")
        for path, reason in errors:
            form.add_error(None, f"{path}: {reason}")
    return render(request, "routing/policy_options_form.html", {"form": form, "draft": draft})
