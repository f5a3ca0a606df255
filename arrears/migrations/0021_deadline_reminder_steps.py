"""Reminders in several steps per kind of clock, and the reason a clock is paused.

`reminded_step` is the last step sent (working days before the due date); `remind_at` now
holds the next step's time and is NULL after the last, so the sweep's partial index is on
`remind_at IS NOT NULL` instead of `reminded_at IS NULL`. Clocks already reminded under the
single reminder are marked as past their last step (0: nothing nearer the due date is left),
so nothing is sent twice. The new index is built CONCURRENTLY, and the old one dropped so, on
PostgreSQL: the deadline table holds a row per clock of every case (millions), and a plain
CREATE INDEX would hold the sweep's and the case actions' writes while it builds.
"""

from typing import Any

from django.db import migrations, models

REMIND_STEP_IDX = models.Index(
    condition=models.Q(("remind_at__isnull", False), ("state", "open")),
    fields=["remind_at"],
    name="deadline_open_remind_step_idx",
)


def _concurrently(schema_editor: Any) -> dict[str, bool]:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


class AddIndexConcurrently(migrations.AddIndex):
    """AddIndex, CONCURRENTLY on PostgreSQL, plain on SQLite (the embedded database)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, **_concurrently(schema_editor))

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **_concurrently(schema_editor))


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """RemoveIndex, CONCURRENTLY on PostgreSQL, plain on SQLite."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index, **_concurrently(schema_editor))

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index, **_concurrently(schema_editor))


def reminded_rows_past_their_steps(apps: Any, schema_editor: Any) -> None:
    """A clock reminded once under the single reminder: its one step was its last."""
    Deadline = apps.get_model("arrears", "Deadline")
    Deadline.objects.filter(
        state__in=["open", "paused"], reminded_at__isnull=False
    ).update(reminded_step=0, remind_at=None)


class Migration(migrations.Migration):
    # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("arrears", "0020_deadline_calendar_hours"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadline",
            name="pause_reason",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=20, verbose_name="暂停原因"
            ),
        ),
        migrations.AddField(
            model_name="deadline",
            name="reminded_step",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="已发送的提醒（到期前工作日）"
            ),
        ),
        migrations.RunPython(
            reminded_rows_past_their_steps, migrations.RunPython.noop, atomic=True
        ),
        AddIndexConcurrently(model_name="deadline", index=REMIND_STEP_IDX),
        RemoveIndexConcurrently(model_name="deadline", name="deadline_open_remind_idx"),
    ]
