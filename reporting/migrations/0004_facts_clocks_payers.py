"""The triggers again (now also on the clocks: reporting.facts.late_rows), and the new measures
(open cases by the day their clock falls due; wages recovered by payer) of the records already
there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # The current definitions (reporting/facts.py): a later change of them installs them
    # again in a migration of its own.
    from reporting import facts

    alias = schema_editor.connection.alias
    facts.install(alias)
    facts.backfill(alias)


def backwards(apps, schema_editor):
    from reporting import facts

    facts.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_open_due_payers"),
        ("complaints", "0018_payment_payer"),
        ("arrears", "0019_deadline_running_start_idx"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
