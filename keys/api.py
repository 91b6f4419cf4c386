"""Management API for teams and keys (/api/teams/, /api/keys/). Writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from console.permissions import ModelPermissions
from keys import selectors, services
from keys.models import ApiKey, Team

CHANGE_KEY = ["%(app_label)s.change_%(model_name)s"]


class SlugLookupField(serializers.SlugRelatedField):
    """A related object by one of its text fields. A value PostgreSQL text cannot hold (NUL)
    matches nothing: refused as invalid here instead of failing the query (a 500)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def _users_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return SlugLookupField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        many=True,
        required=False,
        **kwargs,
    )


class TeamSerializer(serializers.ModelSerializer):
    leads = _users_field()
    members = _users_field()
    allowed_models = serializers.ListField(child=serializers.CharField(), required=False)
    active_key_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "leads",
            "members",
            "rpm_limit",
            "tpm_limit",
            "monthly_budget_usd",
            "allowed_models",
            "active_key_count",
            "created_at",
        ]
        read_only_fields = ["slug", "created_at"]
        # Uniqueness is the service's job (case-insensitive, clear message).
        extra_kwargs: dict[str, dict[str, Any]] = {"name": {"validators": []}}


class ApiKeySerializer(serializers.ModelSerializer):
    team = SlugLookupField(slug_field="slug", queryset=Team.objects.all())
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rotated_from = serializers.SlugRelatedField(slug_field="prefix", read_only=True)
    allowed_models = serializers.ListField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    state = serializers.CharField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "team",
            "name",
            "owner",
            "prefix",
            "state",
            "allowed_models",
            "rpm_limit",
            "tpm_limit",
            "monthly_budget_usd",
            "tags",
            "expires_at",
            "revoked_at",
            "revoked_reason",
            "rotated_from",
            "last_used_at",
            "created_at",
        ]
        read_only_fields = ["prefix", "revoked_at", "revoked_reason", "last_used_at", "created_at"]
        validators: list[Any] = []  # (team, name) uniqueness: the service says it clearly

    def to_representation(self, instance: ApiKey) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["state"] = str(instance.state())
        return data


class ApiKeyCreatedSerializer(ApiKeySerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown in this response only.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RotateSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(min_value=0, max_value=30 * 86400, default=0)


def _as_drf(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                ("non_field_errors" if k == "__all__" else k): v
                for k, v in error.message_dict.items()
            }
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Teams: admins manage all; team leads change the members of teams they lead."""

    serializer_class = TeamSerializer
    permission_classes = [ModelPermissions]
    lookup_field = "slug"
    queryset = Team.objects.none()  # for ModelPermissions; the real one is scoped per user

    def get_queryset(self) -> Any:
        return selectors.team_list(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        try:
            serializer.instance = services.team_create(
                actor=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _as_drf(error) from None

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        team = serializer.instance
        user = self.request.user
        if not selectors.team_can_manage(user=user, team=team):
            raise PermissionDenied("You do not manage this team.")
        data = dict(serializer.validated_data)
        if not user.has_perm("keys.manage_all_teams") and set(data) - {"members"}:
            raise PermissionDenied("Team leads may change the members only.")
        try:
            serializer.instance = services.team_update(team=team, actor=user, **data)
        except DjangoValidationError as error:
            raise _as_drf(error) from None


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Keys. Create answers with the secret once; there is no delete: revoke instead."""

    serializer_class = ApiKeySerializer
    permission_classes = [ModelPermissions]
    action_perms = {"revoke": CHANGE_KEY, "rotate": CHANGE_KEY}
    queryset = ApiKey.objects.none()

    def get_queryset(self) -> Any:
        keys = selectors.key_list(user=self.request.user)
        team = self.request.query_params.get("team")
        return keys.filter(team__slug=team) if team else keys

    def _check_manage(self, team: Team) -> None:
        if not selectors.key_can_manage(user=self.request.user, team=team):
            raise PermissionDenied("You do not manage this team's keys.")

    @extend_schema(responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._check_manage(data["team"])
        try:
            key, secret = services.key_create(
                team=data["team"],
                name=data["name"],
                actor=request.user,
                owner=request.user,
                models=data.get("allowed_models", ()),
                rpm=data.get("rpm_limit"),
                tpm=data.get("tpm_limit"),
                budget=data.get("monthly_budget_usd"),
                tags=data.get("tags", ()),
                expires_at=data.get("expires_at"),
            )
        except DjangoValidationError as error:
            raise _as_drf(error) from None
        body = {**ApiKeySerializer(key).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        key = serializer.instance
        self._check_manage(key.team)
        data = serializer.validated_data
        if "team" in data and data["team"] != key.team:
            raise serializers.ValidationError({"team": ["A key cannot move to another team."]})
        names = {
            "name": "name",
            "allowed_models": "models",
            "rpm_limit": "rpm",
            "tpm_limit": "tpm",
            "monthly_budget_usd": "budget",
            "tags": "tags",
            "expires_at": "expires_at",
        }
        changes = {names[k]: v for k, v in data.items() if k in names}
        try:
            serializer.instance = services.key_update(key=key, actor=self.request.user, **changes)
        except DjangoValidationError as error:
            raise _as_drf(error) from None

    @extend_schema(request=RevokeSerializer, responses={200: ApiKeySerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        self._check_manage(key.team)
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            key = services.key_revoke(key=key, actor=request.user, reason=body.data["reason"])
        except DjangoValidationError as error:
            raise _as_drf(error) from None
        return Response(ApiKeySerializer(key).data)

    @extend_schema(request=RotateSerializer, responses={201: ApiKeyCreatedSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        self._check_manage(key.team)
        body = RotateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            new, secret = services.key_rotate(
                key=key, actor=request.user, grace_seconds=body.validated_data["grace_seconds"]
            )
        except DjangoValidationError as error:
            raise _as_drf(error) from None
        payload = {**ApiKeySerializer(new).data, "secret": secret}
        return Response(
            payload, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"}
        )
