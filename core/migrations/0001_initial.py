# The idempotency records moved here from the project package (cqpi): the table is taken
# over as it is, then renamed to this app's name.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("cqpi", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=255, verbose_name="clé d'idempotence")),
                        ('request_hash', models.CharField(max_length=64)),
                        ('method', models.CharField(max_length=10)),
                        ('path', models.CharField(max_length=500)),
                        ('status_code', models.PositiveSmallIntegerField(default=0)),
                        ('response_body', models.JSONField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': "clé d'idempotence",
                        'verbose_name_plural': "clés d'idempotence",
                        'db_table': 'cqpi_idempotencyrecord',
                        'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='one_record_per_user_and_key')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='idempotencyrecord', table=None),
    ]
