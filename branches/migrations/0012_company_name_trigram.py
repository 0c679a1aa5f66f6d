"""A trigram index answering the dossier search's "company name contains" on PostgreSQL.

Django writes `UPPER(name::text) LIKE UPPER('%x%')`: without an index PostgreSQL reads every
branch's companies for each search (25,000 rows at a million dossiers, two thirds of the
search's time). A GIN index of that expression's trigrams (pg_trgm, a trusted extension
since PostgreSQL 13) answers it from the index. SQLite (the embedded default): skipped.
"""

from django.db import migrations

NAME = "branches_company_name_trigram"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "branches_company" '
        'USING gin (UPPER("name"::text) gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    dependencies = [("branches", "0011_reminder_delay")]

    operations = [migrations.RunPython(create, drop)]
