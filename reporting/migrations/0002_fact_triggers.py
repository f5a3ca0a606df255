"""The triggers that keep the facts current, and the facts of the records already there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # Superseded by 0004, which installs the current definitions (reporting/facts.py) and
    # builds the facts of a fresh database: this one ran the definitions of its day, and
    # today's name columns that 0003 and complaints 0018 add.
    pass


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
