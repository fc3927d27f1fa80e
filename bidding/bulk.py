"""The bid writer's batch written in bulk: its rows inserted, its rounds saved.

Inserts on PostgreSQL go by COPY: `bulk_create` there sends each
column as an array (`INSERT … SELECT * FROM UNNEST(…)`) that psycopg's client-side binding
quotes element by element in Python: 16–22 % of a daphne process's samples under M1 and M2
(docs/benchmarks.md). COPY formats the rows in psycopg's C code. Elsewhere `bulk_create`.

Values are prepared by each field (`pre_save`, `get_db_prep_save`), as the ORM prepares them.
The statements go to psycopg's cursor under Django's, which has no COPY: they are not seen by
Django's execute wrappers or its query log.
"""

from django.db import connection
from django.db.models import Model
from django.utils import timezone


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


def save_fields(objs: list[Model], names: list[str]) -> None:
    """Saves the fields `names` of `objs` (all of one model) with one UPDATE statement sent for
    all of them at once (executemany: psycopg pipelines it, SQLite loops in C). `bulk_update`
    builds a CASE per field and row in Python, which cost a third of the writer's time under M2.
    An `auto_now` field among them is set to the batch's one time, as `save` would set it."""
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 (names from the model, values bound)
    now = timezone.now()
    stamped = [field for field in fields if getattr(field, "auto_now", False)]
    rows = []
    for obj in objs:
        for field in stamped:
            setattr(obj, field.attname, now)
        rows.append([field.get_db_prep_save(_value(obj, field), connection) for field in fields] + [obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _value(instance, field):
    """A field's value to store; a foreign key's from the object it holds, which may have been
    given its id after it was assigned (a leading bid inserted with the batch)."""
    if field.is_relation:
        related = getattr(instance, field.name)
        return None if related is None else related.pk
    return getattr(instance, field.attname)
