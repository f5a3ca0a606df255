"""Indexes for the lists of issue 15: a unit's complaints newest first, the queues newest
first, and substring search on employers, case numbers and projects.

The trigram indexes exist only on PostgreSQL (pg_trgm, GIN; SQLite has neither) and are
built CONCURRENTLY, outside a transaction, so that applying this to a populated database does
not stop intake while they build. Each is on the expression Django's ``icontains`` compares,
``UPPER(column::text) LIKE UPPER('%text%')``, so the ORM's own lookups use them; a search
text of fewer than three characters gives pg_trgm no trigram to look up and is still a scan
of the (scoped) rows.
"""

from typing import Any

from django.db import migrations, models

# name, table, column: each serves the query in its comment.
TRIGRAM_INDEXES = [
    # Worklist search (complaints.cases.selectors.case_search): employer contains the text,
    ("case_employer_trgm_idx", "complaints_case", "employer_name"),
    # ... or the case number does,
    ("case_number_trgm_idx", "complaints_case", "number"),
    # ... or the project name does (the three OR-ed as one bitmap).
    ("case_project_trgm_idx", "complaints_case", "project_name"),
    # Complaint lists and /api/v1/complaints/?employer= (ComplaintFilter.employer, icontains).
    ("complaint_employer_trgm_idx", "complaints_complaint", "employer_name"),
]


class AddIndexConcurrently(migrations.AddIndex):
    """AddIndex, built CONCURRENTLY on PostgreSQL (ten million complaints take half a minute
    to index, and a plain CREATE INDEX would hold intake's inserts for that long), a plain one
    on SQLite: django.contrib.postgres's operation of this name refuses other databases."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


def create_unit_statistics(apps: Any, schema_editor: Any) -> None:
    """A department lies in one county, but the planner multiplies the two conditions of an
    inspector's scope (county_id = ? AND department_id = ?) as if independent: at 10,000,000
    complaints it expected 1,326 rows of 61,293, fetched them all and sorted them for every
    page of /api/v1/complaints/ (0.9 s) instead of reading complaint_unit_recent_idx in order
    (0.2 ms). Extended statistics tell it the dependency; ANALYZE computes them now."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS complaint_unit_county_stats (dependencies) "
        "ON county_id, department_id FROM complaints_complaint"
    )
    schema_editor.execute("ANALYZE complaints_complaint")


def drop_unit_statistics(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS complaint_unit_county_stats")


def create_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    # The extension stays: other databases objects may use it by then.


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("complaints", "0016_cities"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="complaint",
            index=models.Index(fields=["department", "-id"], name="complaint_unit_recent_idx"),
        ),
        AddIndexConcurrently(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("status__in", ["pending_dispatch", "pending_signature"])),
                fields=["-received_at", "-id"],
                name="complaint_queue_recent_idx",
            ),
        ),
        migrations.RunPython(create_unit_statistics, drop_unit_statistics, elidable=False),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
