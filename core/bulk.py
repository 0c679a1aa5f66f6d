"""Inserting many rows at once, fast on PostgreSQL and on SQLite alike, their keys set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
_TEXTS = frozenset({"CharField", "TextField", "SlugField"})


def bulk_insert(model: type[M], objects: list[M], *, batch_size: int = 2000) -> list[M]:
    """`bulk_create`, except on SQLite (the embedded default of `make run`).

    There, Django compiles one placeholder per value (PostgreSQL's bulk insert sends whole
    columns instead), which made the demo's 14,840 historic records take 27 s on a busy
    machine; the values are prepared by the fields themselves and sent with one
    `executemany` instead. The primary keys are set afterwards: inside the transaction that
    wrote them SQLite lets no other writer in, so the rows just written hold the last keys of
    the table, in order. Call it inside a transaction.
    """
    if not objects:
        return objects
    if connection.vendor != "sqlite":
        return model._default_manager.bulk_create(objects, batch_size=batch_size)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for field in fields:
        # What `save` would fill: auto_now(_add) dates, and the like.
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                if getattr(obj, field.attname) is None:
                    field.pre_save(obj, add=True)
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(meta.pk.column)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - model's own names
            [
                [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                for o in objects
            ],
        )
        cursor.execute(f"SELECT MAX({pk_column}) FROM {table}")  # noqa: S608 - model's own names
        last = cursor.fetchone()[0]
    first = last - len(objects) + 1
    for offset, obj in enumerate(objects):
        obj.pk = first + offset
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def bulk_insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    batch_size: int = 5000,
) -> list[int]:
    """Insert plain rows and return their primary keys, in order: no model instances.

    For tables filled by the thousand where building and compiling instances costs more than
    the insert (the persons of a branch's historic register and their events). `columns` are
    the fields' attnames (`person_id`); each row holds values the database takes as they are
    (text, dates, aware datetimes, ids, None). A column left out must be nullable. PostgreSQL
    gets each column as one array (`INSERT … SELECT … FROM UNNEST(…) RETURNING`, rows in
    order), SQLite one `executemany` with the keys read back as `bulk_insert` does. Call it
    inside a transaction; no signal is sent.
    """
    if not rows:
        return []
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    names = ", ".join(quote(f.column) for f in fields)
    keys: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            if connection.vendor == "postgresql":
                # Texts as text: a cast to varchar(n) would cut a long value, not refuse it.
                arrays = ", ".join(
                    f"%s::{'text' if f.get_internal_type() in _TEXTS else f.db_type(connection)}[]"
                    for f in fields
                )
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT * FROM UNNEST({arrays}) "  # noqa: S608 - model's own names
                    f"RETURNING {pk_column}",
                    [list(column) for column in zip(*batch, strict=True)],
                )
                keys += [row[0] for row in cursor.fetchall()]
                continue
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 - model's own names
                [list(row) for row in batch],
            )
            cursor.execute(f"SELECT MAX({pk_column}) FROM {table}")  # noqa: S608 - model's own names
            last = cursor.fetchone()[0]
            keys += list(range(last - len(batch) + 1, last + 1))
    return keys
