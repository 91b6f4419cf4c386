"""DRF permission classes for the management API under /api/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions with reads included: GET needs `view_*`, not just a login.

    A view may set `action_perms = {"revoke": ["%(app_label)s.change_%(model_name)s"]}` for
    `@action` verbs, whose HTTP method alone says nothing about what they change.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        action_perms: dict[str, list[str]] = getattr(view, "action_perms", {})
        if action in action_perms:
            queryset = self._queryset(view)
            kwargs = {
                "app_label": queryset.model._meta.app_label,
                "model_name": queryset.model._meta.model_name,
            }
            return request.user.has_perms([perm % kwargs for perm in action_perms[action]])
        return super().has_permission(request, view)
