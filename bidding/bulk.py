"""The bid writer's rows inserted in bulk. On PostgreSQL by COPY: `bulk_create` there sends each
column as an array (`INSERT … SELECT * FROM UNNEST(…)`) that psycopg's client-side binding
quotes element by element in Python: 16–22 % of a daphne process's samples under M1 and M2
(docs/benchmarks.md). COPY formats the rows in psycopg's C code. Elsewhere `bulk_create`.

Values are prepared by each field (`pre_save`, `get_db_prep_save`), as the ORM prepares them.
The statements go to psycopg's cursor under Django's, which has no COPY: they are not seen by
Django's execute wrappers or its query log.
"""

from django.db import connection
from django.db.models import Model


def insert(objs: list[Model]) -> None:
    """INSERTs `objs`, all of one model with an automatic primary key, and sets their primary
    keys, as `bulk_create` does."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        type(objs[0])._default_manager.bulk_create(objs)
        return
    meta = objs[0]._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in [meta.pk.column, *(field.column for field in fields)])
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # The keys first, from the table's own sequence, so the rows can be copied with them.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        keys = [key for (key,) in cursor.fetchall()]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for key, obj in zip(keys, objs, strict=True):
                copy.write_row([key, *(_prepared(field, obj) for field in fields)])
    for key, obj in zip(keys, objs, strict=True):
        obj.pk = key
        obj._state.adding = False


def _prepared(field, obj):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)
