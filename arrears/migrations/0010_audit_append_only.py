"""Append-only audit tables on PostgreSQL (issue 12): a trigger refuses UPDATE and DELETE on
the change trail, the security events and their archive and verification records. The one
exception is DELETE in a transaction that ran `SET LOCAL arrears.audit_archive = 'on'`, which
only `manage.py audit_archive` does, after writing and verifying the archive file. A database
superuser can do the same or drop the trigger: that is what the chained MAC is for. SQLite
(the embedded default) has no such trigger."""

from django.db import migrations, models

TABLES = (
    "arrears_auditevent",
    "arrears_securityevent",
    "arrears_auditarchive",
    "arrears_auditverification",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION arrears_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('arrears_auditevent', 'arrears_securityevent')
       AND current_setting('arrears.audit_archive', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION arrears_audit_append_only()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS arrears_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("arrears", "0009_audit_chain_security_events")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(verbose_name="序号"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("seq",), name="auditevent_seq_unique"),
        ),
        migrations.RunPython(install, uninstall),
    ]
