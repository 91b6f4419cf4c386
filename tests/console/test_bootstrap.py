from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from keys import hashing
from keys.models import ApiKey, Team


def run() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_bootstrap_on_empty_database_prints_working_credentials_once(db, settings):
    settings.KORDON_DEMO = True
    first = run()
    lines = first.splitlines()
    password = next(line.split(": ", 1)[1] for line in lines if "password:" in line)
    secret = next(line.strip() for line in lines if line.strip().startswith("kdn_"))
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password) and admin.groups.filter(name="admin").exists()
    key = ApiKey.objects.get()
    assert key.digest == hashing.key_digest(secret) and key.team.slug == "demo"
    client = Client()
    response = client.post("/login/", {"username": "admin", "password": password})
    assert response.status_code == 302

    second = run()
    assert second == ""  # nothing secret, nothing new
    assert get_user_model().objects.count() == 1 and Team.objects.count() == 1
    assert ApiKey.objects.count() == 1 and admin.check_password(password)


def test_bootstrap_keeps_an_existing_database_untouched(db, settings, user_for):
    settings.KORDON_DEMO = True
    user_for("auditor")
    assert run() == ""
    assert not get_user_model().objects.filter(username="admin").exists()
