"""PostgreSQL guards: audit records, change events and checkpoints cannot be rewritten.

- audit records: UPDATE is allowed only while a row is unsealed (the proxy completes it, the
  sealer seals it); DELETE only inside the retention purge's transaction
  (`SET LOCAL kordon.purge = 'on'`) and only for sealed rows.
- change events: no DELETE; UPDATE only to clear `actor_id` (the FK's ON DELETE SET NULL when a
  user is deleted), nothing else.
- retention checkpoints and verification runs: no UPDATE, no DELETE.
TRUNCATE is left to the table owner (tests flush with it); run the app as a non-owner role.
SQLite (local mode) has no such guard; the console, API and admin refuse writes everywhere.
"""

from django.db import migrations

FORWARD = [
    """
CREATE OR REPLACE FUNCTION kordon_audit_record_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('kordon.purge', true) = 'on' AND OLD.seq IS NOT NULL THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit record % is append-only: DELETE refused', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.hash <> '' THEN
    RAISE EXCEPTION 'audit record % is sealed: UPDATE refused', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER audit_record_guard BEFORE UPDATE OR DELETE ON audit_auditrecord
FOR EACH ROW EXECUTE FUNCTION kordon_audit_record_guard();
""",
    """
CREATE OR REPLACE FUNCTION kordon_change_event_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
     AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER change_event_guard BEFORE UPDATE OR DELETE ON audit_changeevent
FOR EACH ROW EXECUTE FUNCTION kordon_change_event_guard();
""",
    """
CREATE OR REPLACE FUNCTION kordon_append_only_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER retention_checkpoint_guard BEFORE UPDATE OR DELETE ON audit_retentioncheckpoint
FOR EACH ROW EXECUTE FUNCTION kordon_append_only_guard();
""",
    """
CREATE TRIGGER chain_verification_guard BEFORE UPDATE OR DELETE ON audit_chainverification
FOR EACH ROW EXECUTE FUNCTION kordon_append_only_guard();
""",
    # Category and entity filters on millions of rows: jsonb containment through GIN.
    "CREATE INDEX audit_entities_gin ON audit_auditrecord USING gin (entities jsonb_path_ops);",
    "CREATE INDEX audit_categories_gin ON audit_auditrecord USING gin (categories jsonb_path_ops);",
]

BACKWARD = [
    "DROP INDEX IF EXISTS audit_categories_gin;",
    "DROP INDEX IF EXISTS audit_entities_gin;",
    "DROP TRIGGER IF EXISTS chain_verification_guard ON audit_chainverification;",
    "DROP TRIGGER IF EXISTS retention_checkpoint_guard ON audit_retentioncheckpoint;",
    "DROP FUNCTION IF EXISTS kordon_append_only_guard();",
    "DROP TRIGGER IF EXISTS change_event_guard ON audit_changeevent;",
    "DROP FUNCTION IF EXISTS kordon_change_event_guard();",
    "DROP TRIGGER IF EXISTS audit_record_guard ON audit_auditrecord;",
    "DROP FUNCTION IF EXISTS kordon_audit_record_guard();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


def create_chain_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_retention_exports")]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
    ]
