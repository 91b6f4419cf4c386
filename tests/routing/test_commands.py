from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from audit.models import ChangeEvent
from routing.models import PolicyVersion
from routing.policy.document import parse_policy
from tests.routing.policy_fixtures import CONTRACT_YAML, contract_doc

pytestmark = pytest.mark.django_db


def import_file(tmp_path, text, *args):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    out, err = StringIO(), StringIO()
    call_command("importpolicy", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def export(*args):
    out = StringIO()
    call_command("exportpolicy", *args, stdout=out)
    return out.getvalue()


def test_importpolicy_publishes_the_contract_document(tmp_path):
    out, _ = import_file(tmp_path, CONTRACT_YAML, "--comment", "launch")
    version = PolicyVersion.objects.get()
    assert version.number == 1 and version.comment == "launch"
    assert "published policy version 1" in out
    assert ChangeEvent.objects.get().action == "import"


def test_importpolicy_reports_every_error_and_changes_nothing(tmp_path):
    doc = contract_doc()
    doc["backends"][0]["residency"] = "abroad"
    doc["masking"]["contact"]["action"] = "shout"
    doc["categories"][4]["patterns"] = [r"(?<=x)y"]
    err = StringIO()
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(CommandError, match="3 error"):
        call_command("importpolicy", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "backends[0].residency",
        "categories[4].patterns[0]",
        "masking.contact.action",
    ]
    assert not PolicyVersion.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_importpolicy_refuses_broken_yaml(tmp_path):
    with pytest.raises(CommandError, match="line 3: not valid YAML"):
        import_file(tmp_path, "version: 1\nbackends: [\n")
    assert not PolicyVersion.objects.exists()


def test_importpolicy_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("importpolicy", str(tmp_path / "nope.yaml"))


def test_export_then_import_yields_the_same_policy(tmp_path):
    import_file(tmp_path, CONTRACT_YAML)
    exported = export()
    assert parse_policy(yaml.safe_load(exported)) == parse_policy(contract_doc())
    import_file(tmp_path, exported)
    first, second = PolicyVersion.objects.order_by("number")
    assert first.content_hash == second.content_hash
    assert export("--version", "2").split("\n", 1)[1] == exported.split("\n", 1)[1]


def test_exportpolicy_defaults_to_the_latest_and_takes_a_version(tmp_path):
    import_file(tmp_path, CONTRACT_YAML)
    doc = contract_doc()
    doc["routes"] = doc["routes"][1:]
    import_file(tmp_path, yaml.safe_dump(doc))
    assert "ids-stay-home" not in export()
    assert "ids-stay-home" in export("--version", "1")
    with pytest.raises(CommandError, match="no policy version 9"):
        export("--version", "9")


def test_exportpolicy_without_a_policy_fails():
    with pytest.raises(CommandError, match="no published policy"):
        export()


def test_bootstrap_publishes_the_demo_policy_once_in_demo_mode(settings):
    settings.KORDON_DEMO = True
    out = StringIO()
    call_command("bootstrap", stdout=out)
    assert "Demo policy published as version 1" in out.getvalue()
    version = PolicyVersion.objects.get()
    assert parse_policy(version.document).backends["echo"].is_echo
    call_command("bootstrap", stdout=StringIO())
    assert PolicyVersion.objects.count() == 1


def test_importpolicy_reads_stdin_and_records_the_actor(monkeypatch, django_user_model):
    django_user_model.objects.create_user("ops", password="x" * 12)
    monkeypatch.setattr("sys.stdin", StringIO(CONTRACT_YAML))
    call_command("importpolicy", "-", "--actor", "ops", stdout=StringIO())
    assert PolicyVersion.objects.get().author_name == "ops"
    assert ChangeEvent.objects.get().actor_name == "ops"
    with pytest.raises(CommandError, match="no user"):
        call_command("importpolicy", "-", "--actor", "nobody")


def test_export_reads_in_document_order_whatever_the_database_keeps(tmp_path):
    """PostgreSQL jsonb reorders object keys; the export must still read like the contract."""
    import_file(tmp_path, CONTRACT_YAML)
    lines = export().splitlines()
    top = [line.split(":")[0] for line in lines if line and line[0] not in " -#"]
    assert top == ["version", "backends", "categories", "masking", "routes"]
    masking = lines[lines.index("masking:") + 1 : lines.index("routes:")]
    assert [m.split(":")[0].strip() for m in masking] == [
        "national-id",
        "payment",
        "contact",
        "secrets",
        "internal-project",
    ]
    assert lines[1:4] == ["version: 1", "backends:", "- name: kz-local"]
    assert "  base_url: http://127.0.0.1:9101/v1" in lines[4:6]
