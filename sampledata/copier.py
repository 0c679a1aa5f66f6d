"""Bulk rows for the load generator: declared columns per table, written with PostgreSQL's COPY.

Each table states the columns the generator writes. The model's other columns are left to
their default (the model's, as the ORM would apply it, or the database's), or to NULL;
`table_problems` names every column that would get none of these although the database
refuses NULL there, so that a model gaining such a column fails a test, not a COPY at night.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.db.models.fields import Field


def _needs_a_value(field: Field[Any, Any]) -> bool:
    return not field.null and not field.has_default() and field.db_default is NOT_PROVIDED


def unfilled_columns(model: type[models.Model], written: Iterable[str]) -> list[str]:
    """The columns of `model` that the database requires (NOT NULL, no default in the model or
    the database) and that a row written with only `written` leaves empty."""
    given = set(written)
    return [
        field.column
        for field in model._meta.concrete_fields
        if field.column not in given and _needs_a_value(field)
    ]


def unknown_columns(model: type[models.Model], written: Iterable[str]) -> list[str]:
    """The columns in `written` that `model` does not have (renamed or removed since)."""
    columns = {field.column for field in model._meta.concrete_fields}
    return [column for column in written if column not in columns]


def table_problems(tables: Mapping[type[models.Model], Sequence[str]]) -> list[str]:
    """One sentence per column the generator fails to write, or writes although it is gone."""
    problems: list[str] = []
    for model, written in tables.items():
        label = model._meta.label
        problems += [
            f"{label}.{column}: the column is NOT NULL without a default and the load generator "
            f"does not write it; add it to {label}'s columns in sampledata.loaddata.TABLES and "
            "give it a value where those rows are built (or give the field a default)."
            for column in unfilled_columns(model, written)
        ]
        problems += [
            f"{label}.{column}: the load generator writes this column but the model has no "
            "such column any more; remove it from sampledata.loaddata.TABLES and its builder."
            for column in unknown_columns(model, written)
        ]
    return problems


class Table:
    """One table as the generator writes it: the declared columns, in order, then the model's
    other columns that have a Python default (filled as the ORM would fill them)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.columns = tuple(columns)
        given = set(self.columns)
        self.defaulted = [
            field
            for field in model._meta.concrete_fields
            if field.column not in given
            and field.has_default()
            and field.db_default is NOT_PROVIDED
        ]
        self.copy_columns = (*self.columns, *(field.column for field in self.defaulted))

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row to COPY; `values` must give exactly the declared columns."""
        try:
            row = tuple(values[column] for column in self.columns)
        except KeyError:
            row = ()
        if len(row) != len(self.columns) or len(values) != len(self.columns):
            missing = sorted(set(self.columns) - set(values))
            extra = sorted(set(values) - set(self.columns))
            raise ValueError(
                f"{self.model._meta.label}: a row must give exactly the declared columns "
                f"(missing {missing}, not declared {extra})."
            )
        if self.defaulted:
            row += tuple(
                field.get_db_prep_save(field.get_default(), connection) for field in self.defaulted
            )
        return row


class Ids:
    """Next free primary key per model, reserved in this process (the database is not shared)."""

    def __init__(self) -> None:
        self.next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
            self.next[model] = top + 1
        value = self.next[model]
        self.next[model] += 1
        return value


class Copier:
    """Buffers rows per table and writes them with COPY, in the order given (foreign keys)."""

    def __init__(self, tables: Mapping[type[models.Model], Sequence[str]]) -> None:
        self.tables = {model: Table(model, columns) for model, columns in tables.items()}
        self.rows: dict[type[models.Model], list[tuple[Any, ...]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: type[models.Model], values: Mapping[str, Any]) -> None:
        self.rows.setdefault(model, []).append(self.tables[model].row(values))

    def flush(self, order: Iterable[type[models.Model]]) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            for model in order:
                rows = self.rows.pop(model, [])
                if not rows:
                    continue
                table = model._meta.db_table
                columns = ", ".join(f'"{c}"' for c in self.tables[model].copy_columns)
                with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(rows)

    @staticmethod
    def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
        """Move each table's id sequence past the ids assigned here."""
        with connection.cursor() as cursor:
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )
