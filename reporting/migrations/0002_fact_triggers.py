"""The triggers that keep the facts current, and the facts of the records already there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # The current definitions (reporting/facts.py): a later change of them installs them
    # again in a migration of its own, with a rebuild.
    from reporting import facts

    alias = schema_editor.connection.alias
    facts.install(alias)
    facts.rebuild(alias=alias)


def backwards(apps, schema_editor):
    from reporting import facts

    facts.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_facts"),
        ("complaints", "0016_cities"),
        ("projects", "0006_campaign_city"),
        ("arrears", "0018_retention_partition_audit_trails"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
