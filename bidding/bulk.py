"""The bid writer's batch written in bulk: its rows inserted, its rounds saved.

Inserts on PostgreSQL go by COPY: `bulk_create` there sends each
column as an array (`INSERT … SELECT * FROM UNNEST(…)`) that psycopg's client-side binding
quotes element by element in Python: 16–22 % of a daphne process's samples under M1 and M2
(docs/benchmarks.md). COPY formats the rows in psycopg's C code. On SQLite, one multi-row
`INSERT … RETURNING` per chunk of rows the database takes: `bulk_create` builds the same
statement, but compiles every value of every row as an expression, a third of the writer's
samples under embedded M2.

Values are prepared by each field (`pre_save`, `get_db_prep_save`), as the ORM prepares them,
except a plain value (text, a number, a boolean) of a field that stores it as it is: that is
copied as the model holds it. On PostgreSQL the statements go to psycopg's cursor under
Django's, which has no COPY: they are not seen by Django's execute wrappers or its query log.
SQLite's go through Django's cursor, as any query does.
"""

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Model
from django.utils import timezone

# Fields that store a value of this type as the model holds it (or None): such a value is copied
# as it is, where preparing it through the field (`pre_save`, `get_db_prep_save`) is several
# calls per value. Any other value (a lazy string, a bool in an integer field) is prepared.
_PLAIN = {
    models.BooleanField: bool,
    models.CharField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def insert(objs: list[Model]) -> None:
    """INSERTs `objs`, all of one model with an automatic primary key, and sets their primary
    keys, as `bulk_create` does."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` looks up the thread's connection
    meta = objs[0]._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    values = [_value_of(field, db) for field in fields]
    keys = (
        _copy(db, meta, fields, values, objs)
        if db.vendor == "postgresql"
        else _insert_returning(db, meta, fields, values, objs)
    )
    for key, obj in zip(keys, objs, strict=True):
        obj.pk = key
        obj._state.adding = False


def _copy(db, meta, fields, values, objs) -> list[int]:
    quote = db.ops.quote_name
    columns = ", ".join(quote(column) for column in [meta.pk.column, *(field.column for field in fields)])
    with db.cursor() as wrapper:
        cursor = wrapper.cursor
        # The keys first, from the table's own sequence, so the rows can be copied with them.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        keys = [key for (key,) in cursor.fetchall()]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for key, obj in zip(keys, objs, strict=True):
                copy.write_row([key, *(value(obj) for value in values)])
    return keys


def _insert_returning(db, meta, fields, values, objs) -> list[int]:
    """The rows' keys come back in the order of the rows, as `bulk_create` takes them."""
    quote = db.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = db.ops.bulk_batch_size(fields, objs)
    keys = []
    with db.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608 (names from the model, values bound)
                f"RETURNING {quote(meta.pk.column)}",
                [value(obj) for obj in chunk for value in values],
            )
            keys += [key for (key,) in cursor.fetchall()]
    return keys


def _value_of(field, db):
    """The function that gives `field`'s value to copy from an object, as the ORM would store it."""

    def prepared(obj):
        return field.get_db_prep_save(field.pre_save(obj, True), db)

    plain_type = _PLAIN.get(type(field.target_field if field.many_to_one else field))
    if plain_type is None:
        return prepared
    attname = field.attname

    def plain(obj):
        value = obj.__dict__[attname]
        return value if value is None or type(value) is plain_type else prepared(obj)

    return plain


def save_fields(objs: list[Model], names: list[str]) -> None:
    """Saves the fields `names` of `objs` (all of one model) with one UPDATE statement sent for
    all of them at once (executemany: psycopg pipelines it, SQLite loops in C). `bulk_update`
    builds a CASE per field and row in Python, which cost a third of the writer's time under M2.
    An `auto_now` field among them is set to the batch's one time, as `save` would set it."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in names]
    quote = db.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 (names from the model, values bound)
    now = timezone.now()
    stamped = [field for field in fields if getattr(field, "auto_now", False)]
    rows = []
    for obj in objs:
        for field in stamped:
            setattr(obj, field.attname, now)
        rows.append([field.get_db_prep_save(_value(obj, field), db) for field in fields] + [obj.pk])
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)


def _value(instance, field):
    """A field's value to store; a foreign key's from the object it holds, which may have been
    given its id after it was assigned (a leading bid inserted with the batch)."""
    if field.is_relation:
        related = getattr(instance, field.name)
        return None if related is None else related.pk
    return getattr(instance, field.attname)
