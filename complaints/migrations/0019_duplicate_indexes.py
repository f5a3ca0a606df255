"""The duplicate lookup's employer and phone indexes with the time received as second column
(complaints.intake.duplicates): built CONCURRENTLY on PostgreSQL, so that intake goes on
while they build on a populated database, and the one-column indexes they replace dropped
the same way."""

from typing import Any

from django.db import migrations, models

NEW = [
    models.Index(fields=["employer_name", "received_at"], name="complaint_dup_employer_idx"),
    models.Index(fields=["complainant_phone_index", "received_at"], name="complaint_dup_phone_idx"),
]
OLD = [
    models.Index(fields=["employer_name"], name="complaint_employer_name_idx"),
    models.Index(fields=["complainant_phone_index"], name="complaint_phone_bidx"),
]


def _swap(add: list[models.Index], drop: list[models.Index]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model("complaints", "Complaint")
        table = model._meta.db_table
        postgres = schema_editor.connection.vendor == "postgresql"
        for index in add:
            if postgres:
                columns = ", ".join(
                    schema_editor.quote_name(model._meta.get_field(f).column) for f in index.fields
                )
                schema_editor.execute(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index.name} ON {table} ({columns})"
                )
            else:
                schema_editor.add_index(model, index)
        for index in drop:
            if postgres:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
            else:
                schema_editor.remove_index(model, index)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0018_payment_payer")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_swap(NEW, OLD), _swap(OLD, NEW))],
            state_operations=[
                *(migrations.RemoveIndex("complaint", index.name) for index in OLD),
                *(migrations.AddIndex("complaint", index) for index in NEW),
            ],
        )
    ]
