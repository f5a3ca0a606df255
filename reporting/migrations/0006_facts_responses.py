"""The triggers again (now also counting the cases' response clocks: reporting.facts.
respond_rows), and the response measures of the clocks already there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # The current definitions (reporting/facts.py): a later change of them installs them
    # again in a migration of its own.
    from reporting import facts

    alias = schema_editor.connection.alias
    facts.install(alias)
    facts.backfill_responses(alias)


def backwards(apps, schema_editor):
    from reporting import facts

    # The triggers of 0004 would need the code of its day: left to `manage.py facts
    # --install --rebuild` after going back.
    facts.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_response_measures"),
        ("complaints", "0020_complainant_sms"),
        ("arrears", "0019_deadline_running_start_idx"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
