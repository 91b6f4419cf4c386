"""Policy console, part 2: publication (maker-checker), versions, diff, rollback, import/export,
settings, and the tools that try a policy without sending anything anywhere (playground, impact
preview, self-test, backend health)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import yaml
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.htmx import AuthedHtmxRequest
from routing import forms
from routing.models import PolicyVersion
from routing.policy import selectors, services
from routing.policy.diff import describe_changes
from routing.policy.document import PolicyInvalid, parse_policy
from routing.policy.impact import impact_preview
from routing.policy.playground import run_playground
from routing.policy.selftest import run_selftest
from routing.policy.serialize import stored_to_yaml

HEALTH_TIMEOUT = 3.0


def _posted(request: AuthedHtmxRequest) -> Any:
    """POST data for a bound form (even when empty: an unticked checkbox is a real answer)."""
    return request.POST if request.method == "POST" else None


def _draft_or_404() -> PolicyVersion:
    draft = services.current_draft()
    if draft is None:
        raise Http404("no draft")
    return draft


def _version_or_404(request: AuthedHtmxRequest, number: int) -> PolicyVersion:
    version = selectors.policy_version_get(user=request.user, number=number)
    if version is None:
        raise Http404
    return version


@login_required
@permission_required("routing.publish_policyversion", raise_exception=True)
@require_POST
def draft_publish(request: AuthedHtmxRequest) -> HttpResponse:
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why in the comment before publishing.")
        return redirect("routing:draft_detail")
    try:
        version = services.policy_publish(
            draft=_draft_or_404(), actor=request.user, comment=form.cleaned_data["comment"]
        )
    except (services.WorkflowError, PolicyInvalid) as exc:
        messages.error(request, str(exc))
        return redirect("routing:draft_detail")
    if version.state == PolicyVersion.State.PENDING:
        messages.success(request, "Draft submitted: it goes live when another officer approves it.")
        return redirect("routing:draft_detail")
    messages.success(request, f"Published as version {version.number}.")
    return redirect("routing:version_detail", number=version.number)


@login_required
@permission_required("routing.approve_policyversion", raise_exception=True)
@require_POST
def draft_approve(request: AuthedHtmxRequest) -> HttpResponse:
    form = forms.ApproveForm(request.POST)
    seen = form.cleaned_data["content_hash"] if form.is_valid() else ""
    try:
        version = services.policy_approve(
            draft=_draft_or_404(), actor=request.user, content_hash_seen=seen
        )
    except (services.WorkflowError, PolicyInvalid) as exc:
        messages.error(request, str(exc))
        return redirect("routing:draft_detail")
    messages.success(request, f"Approved: version {version.number} is live.")
    return redirect("routing:version_detail", number=version.number)


@login_required
@permission_required("routing.approve_policyversion", raise_exception=True)
@require_POST
def draft_reject(request: AuthedHtmxRequest) -> HttpResponse:
    form = forms.RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.policy_reject(draft=_draft_or_404(), actor=request.user, reason=reason)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Draft sent back to its author with your reason.")
    return redirect("routing:draft_detail")


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def version_list(request: AuthedHtmxRequest) -> HttpResponse:
    versions = list(selectors.policy_version_list(user=request.user)[:200])
    return render(request, "routing/version_list.html", {"versions": versions})


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def version_detail(request: AuthedHtmxRequest, number: int) -> HttpResponse:
    version = _version_or_404(request, number)
    previous = selectors.policy_version_list(user=request.user).filter(number__lt=number).first()
    changes = describe_changes(previous.document, version.document) if previous else None
    context = {
        "version": version,
        "previous": previous,
        "changes": changes,
        "yaml": stored_to_yaml(version.document),
        "live": selectors.live_version(),
        "rollback_form": forms.RollbackForm(),
    }
    return render(request, "routing/version_detail.html", context)


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def version_diff(request: AuthedHtmxRequest) -> HttpResponse:
    """Readable changes between any two versions (?a=N&b=M; b may be `draft`)."""
    versions = selectors.policy_version_list(user=request.user)
    choices = list(versions.values_list("number", flat=True)[:200])
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    older = newer = None
    if a.isdigit():
        older = _version_or_404(request, int(a))
    if b == "draft":
        newer = _draft_or_404()
    elif b.isdigit():
        newer = _version_or_404(request, int(b))
    changes = describe_changes(older.document, newer.document) if older and newer else None
    context = {
        "choices": choices,
        "a": a,
        "b": b,
        "older": older,
        "newer": newer,
        "changes": changes,
    }
    return render(request, "routing/version_diff.html", context)


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def version_export(request: AuthedHtmxRequest, number: int) -> HttpResponse:
    version = _version_or_404(request, number)
    text = f"# Kordon policy version {number}, {version.content_hash[:12]}\n"
    text += stored_to_yaml(version.document)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kordon-policy-v{number}.yaml"'
    return response


@login_required
@permission_required("routing.publish_policyversion", raise_exception=True)
@require_POST
def version_rollback(request: AuthedHtmxRequest, number: int) -> HttpResponse:
    _version_or_404(request, number)
    form = forms.RollbackForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        version = services.policy_rollback(number=number, actor=request.user, comment=comment)
    except (services.WorkflowError, PolicyInvalid) as exc:
        messages.error(request, str(exc))
        return redirect("routing:version_detail", number=number)
    messages.success(request, f"Rolled back: version {version.number} equals version {number}.")
    return redirect("routing:version_detail", number=version.number)


@login_required
@permission_required("routing.change_policyversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def policy_import(request: AuthedHtmxRequest) -> HttpResponse:
    """Upload a document into the draft (validated exactly like `importpolicy`)."""
    form = forms.ImportForm(_posted(request), request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        document = _read_upload(upload, errors)
        if not errors:
            try:
                draft = services.current_draft()
                if draft is None and selectors.live_version() is None:
                    version = services.policy_import(
                        document=document, actor=request.user, comment="first policy, uploaded"
                    )
                    messages.success(request, f"Published as version {version.number}.")
                    return redirect("routing:version_detail", number=version.number)
                parse_policy(document)  # refuse before a draft is opened for it
                draft = draft or services.policy_draft_start(actor=request.user)
                services.policy_draft_update(draft=draft, document=document, actor=request.user)
            except PolicyInvalid as exc:
                errors = exc.lines()
            except services.WorkflowError as exc:
                errors = [str(exc)]
            else:
                messages.success(request, "Uploaded into the draft: review it, then publish.")
                return redirect("routing:draft_detail")
    return render(request, "routing/policy_import.html", {"form": form, "errors": errors})


def _read_upload(upload: Any, errors: list[str]) -> Any:
    if upload.size > forms.ImportForm.MAX_BYTES:
        errors.append("file: larger than 1 MB")
        return None
    try:
        return yaml.safe_load(upload.read().decode("utf-8"))
    except UnicodeDecodeError:
        errors.append("file: not UTF-8 text")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        errors.append(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})")
    return None


@login_required
@permission_required("routing.change_policysettings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def policy_settings(request: AuthedHtmxRequest) -> HttpResponse:
    form = forms.SettingsForm(
        _posted(request), initial={"maker_checker": services.maker_checker_enabled()}
    )
    if request.method == "POST" and form.is_valid():
        services.policy_settings_update(
            maker_checker=form.cleaned_data["maker_checker"], actor=request.user
        )
        messages.success(request, "Policy settings saved.")
        return redirect("routing:policy_home")
    return render(request, "routing/policy_settings.html", {"form": form})


def _sources(request: AuthedHtmxRequest) -> list[tuple[str, str]]:
    sources = []
    draft = services.current_draft()
    if draft is not None:
        sources.append(("draft", "The working draft"))
    for number in selectors.policy_version_list(user=request.user).values_list("number", flat=True)[
        :50
    ]:
        sources.append((str(number), f"Version {number}"))
    return sources


def _source_version(source: str) -> PolicyVersion | None:
    if source == "draft":
        return services.current_draft()
    if source.isdigit():
        return PolicyVersion.objects.filter(
            number=int(source), state=PolicyVersion.State.PUBLISHED
        ).first()
    return None


@never_cache  # the answer holds the prompt the officer typed: no cache may keep it
@sensitive_post_parameters("text")  # and no error report may show it
@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def playground(request: AuthedHtmxRequest) -> HttpResponse:
    """Try a prompt against the draft or any version. Nothing is stored, logged or sent."""
    sources = _sources(request)
    initial = {"source": sources[0][0] if sources else "", "model": "assistant"}
    form = forms.PlaygroundForm(_posted(request), initial=initial, sources=sources)
    result = None
    if request.method == "POST" and form.is_valid():
        version = _source_version(form.cleaned_data["source"])
        if version is None:
            form.add_error("source", "That policy no longer exists.")
        else:
            policy, custom = selectors.compiled(version)
            team = form.cleaned_data.get("team") or ""
            result = run_playground(
                policy=policy,
                custom=custom,
                text=form.cleaned_data["text"],
                model=form.cleaned_data["model"],
                team_slug=team,
                team_name=team,
                key_tags=tuple(form.cleaned_data.get("key_tags") or ()),
            )
    template = "routing/playground.html"
    if request.htmx and not request.htmx.boosted:
        template += "#result"
    return render(request, template, {"form": form, "result": result})


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def draft_impact(request: AuthedHtmxRequest) -> HttpResponse:
    draft = _draft_or_404()
    live = selectors.live_version()
    impact = None
    if live is not None:
        impact = impact_preview(
            draft=parse_policy(draft.document), live=parse_policy(live.document)
        )
    return render(
        request, "routing/draft_impact.html", {"impact": impact, "draft": draft, "live": live}
    )


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def draft_selftest(request: AuthedHtmxRequest) -> HttpResponse:
    draft = _draft_or_404()
    result = run_selftest(*selectors.compiled(draft))
    live = selectors.live_version()
    lowered = result.lowered(run_selftest(*selectors.compiled(live))) if live else []
    context = {"result": result, "lowered": lowered, "draft": draft, "live": live}
    return render(request, "routing/draft_selftest.html", context)


def _health_key(name: str) -> str:
    return f"kordon:backend-health:{name}"


@login_required
@permission_required("routing.view_policyversion", raise_exception=True)
@require_GET
def backend_health(request: AuthedHtmxRequest, name: str) -> HttpResponse:
    """Ask a backend of the draft (or live policy) for /models now; remember the last error."""
    version = services.current_draft() or selectors.live_version()
    if version is None:
        raise Http404
    backend = parse_policy(version.document).backends.get(name)
    if backend is None:
        raise Http404
    state: dict[str, Any] = {"ok": True, "detail": "built-in echo backend", "ms": 0.0}
    if not backend.is_echo:
        state = _probe(backend.base_url, backend.api_key_env)
    if not state["ok"]:
        cache.set(_health_key(name), {"detail": state["detail"], "at": time.time()}, 86400)
    context = {"name": name, "state": state, "last_error": cache.get(_health_key(name))}
    return render(request, "routing/_backend_health.html", context)


def _probe(base_url: str, api_key_env: str | None) -> dict[str, Any]:
    import os

    headers = {}
    key = os.environ.get(api_key_env or "", "") if api_key_env else ""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    started = time.perf_counter()
    try:
        response = httpx.get(
            base_url.rstrip("/") + "/models", headers=headers, timeout=HEALTH_TIMEOUT
        )
    except httpx.HTTPError as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}", "ms": None}
    ms = round((time.perf_counter() - started) * 1000, 1)
    if response.status_code >= 400:
        return {"ok": False, "detail": f"HTTP {response.status_code}", "ms": ms}
    return {"ok": True, "detail": f"HTTP {response.status_code}", "ms": ms}
