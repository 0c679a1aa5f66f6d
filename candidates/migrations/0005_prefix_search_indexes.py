"""Indexes serving the staff list's prefix searches (`istartswith`) on PostgreSQL.

Django writes `UPPER(col::text) LIKE UPPER('x%')`; an index on that expression with
text_pattern_ops answers it. SQLite (the embedded default) has no such index type: skipped.
"""

from django.db import migrations

INDEXES = [
    ("candidates_candidate_last_name_prefix", "candidates_candidate", "last_name"),
    ("candidates_candidate_first_name_prefix", "candidates_candidate", "first_name"),
    ("candidates_dossier_reference_prefix", "candidates_dossier", "reference"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'(UPPER("{column}"::text) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("candidates", "0004_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
