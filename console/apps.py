from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self) -> None:
        from console.roles import post_migrate_roles

        # Roles are set-up data, not domain logic: keep them in step with every migrate.
        post_migrate.connect(post_migrate_roles, sender=self, dispatch_uid="kordon-roles")
