# The model now belongs to `core` (whose 0001 takes over the table): forget it here
# without touching the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cqpi", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
