"""An index serving prefix searches of certificate numbers (`istartswith`) on PostgreSQL;
skipped on SQLite (the embedded default)."""

from django.db import migrations

NAME = "certifications_certificate_number_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "certifications_certificate" '
            '(UPPER("number"::text) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    dependencies = [("certifications", "0003_alter_certificateevent_options")]

    operations = [migrations.RunPython(create, drop)]
