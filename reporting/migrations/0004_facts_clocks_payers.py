"""The triggers again (now also on the clocks: reporting.facts.late_rows), and the new measures
(open cases by the day their clock falls due; wages recovered by payer) of the records already
there."""

from django.db import migrations


def forwards(apps, schema_editor):
    # Superseded by 0006, which installs the current definitions (reporting/facts.py) and
    # builds the facts of a fresh database: this one ran the definitions of its day (today's
    # name the response columns that 0005 adds). A database that stood at 0003 with records
    # is rebuilt once by hand (`manage.py facts --rebuild`): none was deployed so.
    pass


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
