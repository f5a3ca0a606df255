"""Case.closed_in_limit: whether a closed case took no more working days than the statutory
limit (case.close_days.statutory) of its city. Cases closed before it are judged against the
limit in force now, the only one on record; later closures store the limit of their day."""

from django.db import migrations, models

KEY = "case.close_days.statutory"
DEFAULT = 60  # complaints/settings.py


def _fact_triggers(schema_editor, enabled: bool) -> None:
    """The dashboards' fact triggers on the cases (reporting.facts), where installed. This
    UPDATE changes no figure they count (the measure of the new column comes with
    reporting 0008, which rebuilds the facts), and through them it took minutes at
    1,000,000 cases. Named here rather than through reporting.facts.set_triggers: complaints
    sits below reporting (pyproject.toml, import-linter layers), and a migration keeps the
    names of its day."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'complaints_case'::regclass "
            "AND tgname LIKE 'reporting_facts_%%'"
        )
        for (name,) in cursor.fetchall():
            action = "ENABLE" if enabled else "DISABLE"
            cursor.execute(f'ALTER TABLE complaints_case {action} TRIGGER "{name}"')


def backfill(apps, schema_editor):
    _fact_triggers(schema_editor, enabled=False)
    try:
        _judge(apps, schema_editor)
    finally:
        _fact_triggers(schema_editor, enabled=True)


def _judge(apps, schema_editor):
    Case = apps.get_model("complaints", "Case")
    ConfigValue = apps.get_model("arrears", "ConfigValue")
    alias = schema_editor.connection.alias
    stored = {
        city: int(value)
        for city, value in ConfigValue.objects.using(alias)
        .filter(key=KEY)
        .values_list("city_id", "value")
    }
    default = stored.pop(None, DEFAULT)
    closed = Case.objects.using(alias).filter(state="closed", working_days_taken__isnull=False)

    def judge(limit: int) -> models.Case:
        return models.Case(
            models.When(working_days_taken__lte=limit, then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        )

    for city, limit in stored.items():
        closed.filter(county__city_id=city).update(closed_in_limit=judge(limit))
    elsewhere = ~models.Q(county__city_id__in=list(stored)) | models.Q(county__isnull=True)
    closed.filter(elsewhere).update(closed_in_limit=judge(default))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0024_complaint_rating"),
        ("arrears", "0021_deadline_reminder_steps"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="closed_in_limit",
            field=models.BooleanField(blank=True, null=True, verbose_name="法定时限内办结"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
