"""factory_boy factories. Keys are issued through the real service (hash, prefix, change event)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from keys import services
from keys.models import ApiKey, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple 42")


class TeamFactory(factory.django.DjangoModelFactory):
    """A bare team row (no change event): for reads. Use services.team_create to test writes."""

    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda team: team.name.lower().replace(" ", "-"))


def issue_key(team: Team, name: str = "app", actor=None, **kwargs) -> tuple[ApiKey, str]:
    """A key issued through `key_create`, as the console and createkey do."""
    return services.key_create(team=team, name=name, actor=actor, **kwargs)
