"""The two audit trails become monthly range-partitioned tables on PostgreSQL (issue 14,
"tables that only grow"); SQLite keeps the plain tables. docs/architecture.md, "Tables that
only grow", says why these two and not the others.

What changes in the database, not in Django's model state:
- the primary key is (id, occurred_at) and the chain's unique constraint (seq, occurred_at):
  a partitioned table's unique constraints must contain the partition key. The ORM still
  treats `id` as the primary key (one sequence hands out every id, so it stays unique); a
  composite key in the model would keep the trail out of the admin. A repeated `seq` would
  also break the MAC chain, which `audit_verify` reports;
- `id` takes its default from a sequence owned by the column (PostgreSQL 15 has no identity
  columns on partitioned tables);
- partitions `<table>_pYYYYMM` from the oldest row's month to three months ahead, plus
  `<table>_default`, so an insert never fails; `manage.py partitions` (and the daily beat
  task) keeps the months ahead;
- the append-only trigger is declared on the parent with the argument 'archivable' (cloned
  to every partition, where TG_TABLE_NAME is the partition's name, so the function now asks
  the argument instead of the table name).

Existing rows are copied inside the migration's transaction with the table locked: minutes
for tens of millions of rows, during which nothing can write the trail (plan the upgrade).
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

TABLES = ("arrears_auditevent", "arrears_securityevent")
KEY = "occurred_at"
MONTHS_AHEAD = 3

FUNCTION_PARTITIONED = """
CREATE OR REPLACE FUNCTION arrears_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_NARGS > 0 AND TG_ARGV[0] = 'archivable'
       AND current_setting('arrears.audit_archive', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Migration 0010's function, for the way back.
FUNCTION_PLAIN = """
CREATE OR REPLACE FUNCTION arrears_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('arrears_auditevent', 'arrears_securityevent')
       AND current_setting('arrears.audit_archive', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _months(first: datetime.date, last: datetime.date):
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _bound(month: datetime.date) -> str:
    # Local midnight (Asia/Shanghai): months as the users and the retention dates count them.
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime.combine(month, datetime.time.min, tzinfo=zone).isoformat()


def _next(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _definitions(cursor, table):
    """The table's secondary indexes and its foreign keys, to be declared again on the new
    table (their names are Django's, so later migrations still find them)."""
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
        [table],
    )
    keys = {name for (name,) in cursor.fetchall()}
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = %s ORDER BY indexname",
        [table],
    )
    # A partitioned table's index reads "ON ONLY <table>" (not cascading to its partitions).
    indexes = [
        definition.replace(" ON ONLY ", " ON ")
        for name, definition in cursor.fetchall()
        if name not in keys
    ]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'c') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    return indexes, constraints


def _seq_constraint(table: str) -> str:
    return "auditevent_seq_unique" if table == "arrears_auditevent" else "securityevent_seq_unique"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION_PARTITIONED)
        for table in TABLES:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            indexes, constraints = _definitions(cursor, table)
            cursor.execute(f"SELECT min({KEY}) FROM {table}")
            oldest = cursor.fetchone()[0]
            today = timezone.localdate()
            first = timezone.localdate(oldest) if oldest else today
            last = today
            for _ in range(MONTHS_AHEAD):
                last = _next(last.replace(day=1))
            new = f"{table}_partitioned"
            cursor.execute(
                f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS) PARTITION BY RANGE ({KEY})"
            )
            for month in _months(first, last):
                cursor.execute(
                    f"CREATE TABLE {table}_p{month:%Y%m} PARTITION OF {new} "
                    "FOR VALUES FROM (%s) TO (%s)",
                    [_bound(month), _bound(_next(month))],
                )
            cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT")
            cursor.execute(f"INSERT INTO {new} SELECT * FROM {table}")
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {KEY})"
            )
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {_seq_constraint(table)} UNIQUE (seq, {KEY})"
            )
            for definition in indexes:
                cursor.execute(definition)
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute(f"CREATE SEQUENCE {table}_id_seq OWNED BY {table}.id")
            cursor.execute(
                f"SELECT setval('{table}_id_seq', coalesce(max(id), 0) + 1, false) FROM {table}"
            )
            cursor.execute(
                f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')"
            )
            cursor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION arrears_audit_append_only('archivable')"
            )


def unpartition(apps, schema_editor):
    """Back to plain tables as migration 0010 left them (rows copied back)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            indexes, constraints = _definitions(cursor, table)
            new = f"{table}_plain"
            cursor.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS)")
            cursor.execute(f"ALTER TABLE {new} ALTER COLUMN id DROP DEFAULT")
            cursor.execute(f"INSERT INTO {new} SELECT * FROM {table}")
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)")
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {_seq_constraint(table)} UNIQUE (seq)"
            )
            for definition in indexes:
                cursor.execute(definition)
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute(
                f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
            )
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1,"
                f" false) FROM {table}"
            )
            cursor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION arrears_audit_append_only()"
            )
        cursor.execute(FUNCTION_PLAIN)


class Migration(migrations.Migration):
    # Only needs the audit tables (0010); after the cities (0015–0017) merely to keep one leaf.
    dependencies = [("arrears", "0017_cities_required")]

    operations = [migrations.RunPython(partition, unpartition)]
