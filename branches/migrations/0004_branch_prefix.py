import re

from django.db import migrations, models


# The charter branches' prefixes as they were when this migration was written: a migration
# keeps its own copy of the data it needs, so that later changes to the catalogue (or to the
# layers: branches may not import the rooms above it) do not change history.
PREFIXES = {
    "agroalimentaire": "AGRO",
    "ameublement": "AMEUB",
    "caoutchouc": "CAOUT",
    "chaussure": "CHAUS",
    "chimie": "CHIM",
    "commerce-distribution": "CDPA",
    "eaux-boissons-biere": "EBB",
    "entretien-textiles": "ENTEX",
    "travail-temporaire": "ETT",
    "grands-magasins": "GMMP",
    "habillement": "HABIL",
    "recuperation": "RECUP",
    "ingenierie-informatique-conseil": "SYNTEC",
    "maroquinerie": "MAROQ",
    "medicament": "MEDIC",
    "metallurgie": "METAL",
    "miroiterie": "MIROI",
    "papiers-cartons": "PAPCA",
    "restauration-collective": "RESCO",
    "tannerie-megisserie": "TANME",
    "textile": "TEXT",
    "vente-a-distance": "VAD",
}


def fill_prefixes(apps, schema_editor):
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
