"""Many rows in one INSERT without building a model instance for each (PostgreSQL).

`bulk_create` prepares every value of every instance through the ORM's compiler; for the
10,000 rows of a sweep that costs more than the database's own work. Here the rows are plain
mappings of attnames, each column goes as one array, and the database unnests them:
`INSERT INTO t (…) SELECT * FROM unnest(%s::type[], …)`. Values are still prepared by their
fields (encryption, JSON adaptation, defaults, auto_now_add) exactly as bulk_create would."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, models


def insert_unnest(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    using: str = "default",
    skip_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (attname → value; a missing column takes its field's default) and return
    the `returning` columns of the rows inserted. With `skip_conflicts` a row that violates a
    unique constraint is left out (ON CONFLICT DO NOTHING), and only the others come back."""
    if not rows:
        return []
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    params = []
    for field in fields:
        if type(field) in _PLAIN or _plain_key(field):
            # Strings, numbers and ids go to the driver as they are (preparing them is an
            # identity that cost a third of the insert); subclasses (encrypted, phone…)
            # are prepared below.
            if field.has_default() and callable(field.default):  # made anew for each row
                params.append([_value(row, field) for row in rows])
            else:  # one default for every row that lacks the column (most rows of most)
                default, name = field.get_default(), field.attname
                params.append([row.get(name, default) for row in rows])
            continue
        stamped = getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)
        # One time for the statement's stamped rows, as a default of now() in the database
        # would give them, rather than a clock reading per row.
        stamp = field.pre_save(_Holder(field.attname), True) if stamped else None  # type: ignore[arg-type]
        aware_times = type(field) is models.DateTimeField and settings.USE_TZ
        column = []
        for row in rows:
            if field.attname in row:
                value = row[field.attname]
                if stamped and value is None:
                    value = stamp
            elif stamped:
                value = stamp
            else:
                value = field.get_default()
            if aware_times and (
                value is None
                or (isinstance(value, datetime.datetime) and value.utcoffset() is not None)
            ):
                # An aware time (or none) goes to the driver as it is: what the field's
                # preparation returns for it on PostgreSQL, at a tenth of the cost.
                column.append(value)
                continue
            column.append(field.get_db_prep_save(value, connection))
        params.append(column)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608 - names from the model
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        names = [str(getattr(model._meta.get_field(name), "column", name)) for name in returning]
        sql += " RETURNING " + ", ".join(quote(n) for n in names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if returning else []


_PLAIN = {
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
}


def _plain_key(field: models.Field[Any, Any]) -> bool:
    """A foreign key to an integer primary key: its value is the id."""
    if not isinstance(field, models.ForeignKey):
        return False
    target = field.target_field
    return isinstance(target, models.AutoField | models.BigAutoField | models.SmallAutoField)


def _value(row: Mapping[str, Any], field: models.Field[Any, Any]) -> Any:
    if field.attname in row:
        return row[field.attname]
    return field.get_default()


class _Holder:
    """What DateTimeField.pre_save sets its value on."""

    def __init__(self, attname: str) -> None:
        self.attname = attname
