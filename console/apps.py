from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self) -> None:
        from console.roles import post_migrate_roles

        # Roles are set-up data, not domain logic: keep them in step with every migrate.
        # post_migrate is only sent for apps with models, so listen on `keys`; ensure_roles
        # creates the permissions of every app itself, whatever the order.
        keys_app = apps.get_app_config("keys")
        post_migrate.connect(post_migrate_roles, sender=keys_app, dispatch_uid="kordon-roles")
