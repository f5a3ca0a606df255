"""Indexes for the lists of issue 15: a unit's complaints newest first, and substring search
on employers, case numbers and projects.

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
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["department", "-id"], name="complaint_unit_recent_idx"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
