from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import ChangeEvent
from keys import hashing
from keys.models import ApiKey, Team


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, out.getvalue(), err.getvalue()


def test_createkey_creates_the_team_and_prints_the_secret_last(db):
    code, out, _ = run(
        "createkey", "--team", "Risk", "--name", "scoring", "--models", "assistant,embed",
        "--rpm", "60", "--tpm", "5000", "--budget", "25.5", "--expires", "2099-12-31",
    )  # fmt: skip
    assert code == 0
    secret = out.strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert secret.startswith("kdn_") and key.digest == hashing.key_digest(secret)
    assert key.team.slug == "risk" and key.allowed_models == ["assistant", "embed"]
    assert (key.rpm_limit, key.tpm_limit, str(key.monthly_budget_usd)) == (60, 5000, "25.5000")
    assert key.expires_at.isoformat() == "2100-01-01T00:00:00+00:00"
    assert out.count(secret) == 1
    events = ChangeEvent.objects.values_list("target_type", "action", "actor_name")
    assert set(events) == {("keys.Team", "create", "system"), ("keys.ApiKey", "create", "system")}


def test_createkey_uses_an_existing_team_by_slug_or_name(db):
    assert run("createkey", "--team", "Risk Desk", "--name", "a")[0] == 0
    assert run("createkey", "--team", "risk-desk", "--name", "b")[0] == 0
    assert run("createkey", "--team", "Risk Desk", "--name", "c")[0] == 0
    assert Team.objects.count() == 1 and ApiKey.objects.count() == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--rpm", "0"], "rpm: Enter a number of at least 1."),
        (["--tpm", "x"], "tpm: Enter a whole number."),
        (["--budget", "abc"], "budget: Enter an amount in USD, e.g. 250 or 99.50."),
        (["--expires", "2020-01-01"], "expires: The expiry must be in the future."),
        (["--expires", "31.12.2030"], "expires: Use the form YYYY-MM-DD."),
        (["--models", "bad model"], "models: 'bad model' is not a valid model alias."),
    ],
)
def test_createkey_validation_errors_name_the_field_and_change_nothing(db, args, expected):
    code, out, err = run("createkey", "--team", "New", "--name", "n", *args)
    assert code != 0
    assert expected in err.splitlines()
    assert "kdn_" not in out
    assert not Team.objects.exists() and not ApiKey.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_createkey_refuses_a_duplicate_name(db):
    run("createkey", "--team", "t", "--name", "app")
    code, _, err = run("createkey", "--team", "t", "--name", "app")
    assert code != 0 and "name: Team t already has a key named 'app'." in err


def test_revokekey_by_prefix_and_by_full_secret(db):
    secret_a = run("createkey", "--team", "t", "--name", "a")[1].strip().splitlines()[-1]
    secret_b = run("createkey", "--team", "t", "--name", "b")[1].strip().splitlines()[-1]
    code, out, _ = run("revokekey", secret_a[:12], "--reason", "rotated out")
    assert code == 0 and secret_a[:12] in out
    code, out, _ = run("revokekey", secret_b, "--reason", "leaked")
    assert code == 0 and secret_b not in out
    states = {k.name: (k.state(), k.revoked_reason) for k in ApiKey.objects.all()}
    assert states == {"a": ("revoked", "rotated out"), "b": ("revoked", "leaked")}


def test_revokekey_refuses_a_wrong_secret_with_a_real_prefix(db):
    secret = run("createkey", "--team", "t", "--name", "a")[1].strip().splitlines()[-1]
    forged = secret[:12] + "x" * (len(secret) - 12)
    code, out, err = run("revokekey", forged, "--reason", "guess")
    assert code != 0 and "key: No key with that prefix or secret." in err
    assert forged not in out + err
    assert ApiKey.objects.get().revoked_at is None


def test_revokekey_needs_a_reason_and_refuses_twice(db):
    secret = run("createkey", "--team", "t", "--name", "a")[1].strip().splitlines()[-1]
    code, _, err = run("revokekey", secret[:12], "--reason", " ")
    assert code != 0 and err.startswith("reason: ")
    assert run("revokekey", secret[:12], "--reason", "x")[0] == 0
    code, _, err = run("revokekey", secret[:12], "--reason", "x")
    assert code != 0 and "is already revoked" in err
