"""People page: admins add people, give them roles, deactivate them, reset passwords."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from console import accounts
from console.htmx import AuthedHtmxRequest
from console.roles import ROLE_NAMES

ROLE_CHOICES = [(name, name.capitalize()) for name in ROLE_NAMES]


class PersonCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )


class PersonEditForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(required=False, help_text="Inactive people cannot sign in.")


def _apply(form: forms.Form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


@login_required
@permission_required("auth.view_user", raise_exception=True)
@require_GET
def user_list(request: AuthedHtmxRequest) -> HttpResponse:
    people = get_user_model().objects.prefetch_related("groups").order_by("username")
    context = {"people": people, "can_add": request.user.has_perm("auth.add_user")}
    return render(request, "console/user_list.html", context)


@never_cache
@login_required
@permission_required("auth.add_user", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_create(request: AuthedHtmxRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            person, password = accounts.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            context.update(person=person, password=password)
    return render(request, "console/user_create.html", context)


@login_required
@permission_required("auth.change_user", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    initial = {"roles": accounts.user_snapshot(person)["roles"], "active": person.is_active}
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.user_update(
                user=person,
                actor=request.user,
                roles=form.cleaned_data["roles"],
                active=form.cleaned_data["active"],
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"{person.get_username()} saved.")
            return redirect("console:user_list")
    return render(request, "console/user_edit.html", {"form": form, "person": person})


@never_cache
@login_required
@permission_required("auth.change_user", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_password_reset(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page; POST: a new password, shown in this response only."""
    person = get_object_or_404(get_user_model(), pk=pk)
    password = None
    if request.method == "POST":
        password = accounts.user_password_reset(user=person, actor=request.user)
    context = {"person": person, "password": password}
    return render(request, "console/user_password_reset.html", context)
