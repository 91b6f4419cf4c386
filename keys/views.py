"""Console pages for teams and keys. Permissions are checked here; scoping is in selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from console.htmx import AuthedHtmxRequest
from keys import forms, selectors, services
from keys.models import ApiKey, Team


def _team(request: AuthedHtmxRequest, slug: str) -> Team:
    return get_object_or_404(selectors.team_list(user=request.user), slug=slug)


def _key(request: AuthedHtmxRequest, pk: int) -> ApiKey:
    return get_object_or_404(selectors.key_list(user=request.user), pk=pk)


def _require_key_manager(request: AuthedHtmxRequest, team: Team) -> None:
    if not selectors.key_can_manage(user=request.user, team=team):
        raise PermissionDenied


def _render(request: AuthedHtmxRequest, template: str, context: dict[str, Any], **kw: Any) -> Any:
    """Full page, or only the `form` partial for an htmx form submission."""
    if request.htmx and not request.htmx.boosted:
        template += "#form"
    return render(request, template, context, **kw)


@login_required
@permission_required("keys.view_team", raise_exception=True)
@require_GET
def team_list(request: AuthedHtmxRequest) -> HttpResponse:
    teams = selectors.team_list(user=request.user)
    can_create = request.user.has_perm("keys.add_team")
    return render(request, "keys/team_list.html", {"teams": teams, "can_create": can_create})


@login_required
@permission_required("keys.add_team", raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_create(request: AuthedHtmxRequest) -> HttpResponse:
    form = forms.TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("keys:team_detail", slug=team.slug)
    return render(request, "keys/team_form.html", {"form": form, "team": None})


@login_required
@permission_required("keys.view_team", raise_exception=True)
@require_GET
def team_detail(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    keys = selectors.key_list(user=request.user, team=team)
    context = {
        "team": team,
        "keys": keys,
        "members": team.members.all(),
        "can_manage_keys": selectors.key_can_manage(user=request.user, team=team),
        "can_edit_team": selectors.team_can_manage(user=request.user, team=team),
    }
    return render(request, "keys/team_detail.html", context)


@login_required
@permission_required("keys.change_team", raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_edit(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    if not selectors.team_can_manage(user=request.user, team=team):
        raise PermissionDenied
    # Admins change everything; a team lead only the members (limits are the admin's).
    full = request.user.has_perm("keys.manage_all_teams")
    form_class = forms.TeamForm if full else forms.TeamMembersForm
    initial = forms.TeamForm.initial_for(team)
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} saved.")
            return redirect("keys:team_detail", slug=team.slug)
    return render(request, "keys/team_form.html", {"form": form, "team": team, "full": full})


@never_cache
@login_required
@permission_required("keys.add_apikey", raise_exception=True)
@require_http_methods(["GET", "POST"])
def key_create(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    """Issue a key. The secret is in this one response only (never cached, never stored)."""
    team = _team(request, slug)
    _require_key_manager(request, team)
    form = forms.KeyForm(request.POST or None, team=team)
    context: dict[str, Any] = {"form": form, "team": team}
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = services.key_create(
                team=team, actor=request.user, owner=request.user, **form.service_kwargs()
            )
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            context.update(key=key, secret=secret)
    status = 400 if form.errors else 200
    return _render(request, "keys/key_create.html", context, status=status)


@login_required
@permission_required("keys.view_apikey", raise_exception=True)
@require_GET
def key_detail(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    key = _key(request, pk)
    context = {
        "key": key,
        "can_manage": selectors.key_can_manage(user=request.user, team=key.team),
        "replaced_by": ApiKey.objects.filter(rotated_from=key).first(),
    }
    return render(request, "keys/key_detail.html", context)


@login_required
@permission_required("keys.change_apikey", raise_exception=True)
@require_http_methods(["GET", "POST"])
def key_edit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    key = _key(request, pk)
    _require_key_manager(request, key.team)
    initial = forms.KeyForm.initial_for(key)
    form = forms.KeyForm(request.POST or None, team=key.team, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = form.service_kwargs()
        if form.cleaned_data["expires_on"] == initial["expires_on"]:
            changes.pop("expires_at")  # unchanged day: keep a precise expiry (rotation grace)
        try:
            services.key_update(key=key, actor=request.user, **changes)
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, f"Key {key.prefix} saved.")
            return redirect("keys:key_detail", pk=key.pk)
    return render(request, "keys/key_edit.html", {"form": form, "key": key})


@login_required
@permission_required("keys.change_apikey", raise_exception=True)
@require_http_methods(["GET", "POST"])
def key_revoke(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page; POST: revoke for good."""
    key = _key(request, pk)
    _require_key_manager(request, key.team)
    form = forms.RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.key_revoke(key=key, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, f"Key {key.prefix} revoked. The proxy refuses it now.")
            return redirect("keys:key_detail", pk=key.pk)
    return render(request, "keys/key_revoke.html", {"form": form, "key": key})


@never_cache
@login_required
@permission_required("keys.change_apikey", raise_exception=True)
@require_http_methods(["GET", "POST"])
def key_rotate(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page; POST: a new secret, shown in this response only."""
    key = _key(request, pk)
    _require_key_manager(request, key.team)
    form = forms.RotateForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "key": key}
    if request.method == "POST" and form.is_valid():
        try:
            new, secret = services.key_rotate(
                key=key, actor=request.user, grace_seconds=form.cleaned_data["grace_seconds"]
            )
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            context.update(new=new, secret=secret)
    status = 400 if form.errors else 200
    return _render(request, "keys/key_rotate.html", context, status=status)
