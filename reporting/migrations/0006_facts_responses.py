"""The triggers again (now also counting the cases' response clocks: reporting.facts.
respond_rows), and the response measures of the clocks already there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # Superseded by 0008, which installs the current definitions (reporting/facts.py) and
    # rebuilds the facts: this one ran the definitions of its day (today's name the
    # closed_in_limit column that 0008 adds). A database at 0005 is brought up by 0008.
    pass


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
