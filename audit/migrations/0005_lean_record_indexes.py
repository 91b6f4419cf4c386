"""Audit records: drop the indexes the write path pays for and browsing barely uses.

Every request inserts a record and completes it. With an index on a column the completion
writes (status, error, backend), PostgreSQL rewrites every index entry of the row on each
completion; without, and with free room on the page (fillfactor 80), the completion is a HOT
update that touches no index. Kept: the primary key, `seq`, `key_prefix`, (team, -timestamp),
the (timestamp, id) keyset index that ordering, ranges and retention use, the sealer's partial
index and the GIN indexes on entities and categories.
"""

from django.db import migrations, models

FILLFACTOR = "ALTER TABLE audit_auditrecord SET (fillfactor = 80)"
DEFAULT_FILLFACTOR = "ALTER TABLE audit_auditrecord RESET (fillfactor)"


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_verification_head'),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FILLFACTOR), _on_postgresql(DEFAULT_FILLFACTOR)),
        migrations.AlterField(
            model_name='auditrecord',
            name='backend',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='error_code',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='policy_version',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='route',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='status_code',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='team',
            field=models.CharField(max_length=100),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='timestamp',
            field=models.DateTimeField(),
        ),
    ]
