"""The facts' closed_in_limit measure (closed cases within the statutory limit in force when
they closed, Case.closed_in_limit), the triggers that keep it, and the facts rebuilt so the
column holds the cases already closed. Until now the dashboards counted them live, ~4 s of a
province page at 10,000,000 complaints (docs/performance.md)."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from reporting import facts

    alias = schema_editor.connection.alias
    facts.install(alias)
    facts.rebuild(alias=alias)


def backwards(apps, schema_editor):
    from reporting import facts

    facts.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0007_assessment"),
        ("complaints", "0025_case_closed_in_limit"),
    ]

    operations = [
        migrations.AddField(
            model_name="fact",
            name="closed_in_limit",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="factdelta",
            name="closed_in_limit",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(forwards, backwards),
    ]
