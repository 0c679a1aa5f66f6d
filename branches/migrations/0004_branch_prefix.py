import re

from django.db import migrations, models


def fill_prefixes(apps, schema_editor):
    from certifications.data.branches import PREFIXES

    Branch = apps.get_model("branches", "Branch")
    taken = set()
    for branch in Branch.objects.order_by("pk"):
        prefix = PREFIXES.get(branch.code) or re.sub("[^A-Z0-9]", "", branch.code.upper())[-8:]
        while prefix in taken:
            prefix = f"{prefix[:6]}{len(taken) % 100:02d}"
        taken.add(prefix)
        branch.prefix = prefix
        branch.save(update_fields=["prefix"])


class Migration(migrations.Migration):
    dependencies = [("branches", "0003_alter_counter_options")]

    operations = [
        migrations.AddField(
            model_name="branch",
            name="prefix",
            field=models.CharField(default="", max_length=8, verbose_name="préfixe de numérotation"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_prefixes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="branch",
            name="prefix",
            field=models.CharField(
                help_text="Court et en majuscules : il commence les numéros de dossier et de certificat.",
                max_length=8,
                unique=True,
                verbose_name="préfixe de numérotation",
            ),
        ),
    ]
