"""Name each existing branch's certifier body, and stop printing a placeholder signatory.

The certifier is the body that approved the charter (the branch's latest charter signature
says which, CPNE or CPNEFP); failing that, the charter branches' committees as they were
when this migration was written. A branch matching neither keeps a blank name: the
compliance gate then asks its staff to fill it in rather than guessing "CPNE".
The placeholder "Signataire à désigner" is cleared for the same reason: the gate refuses
to issue until a real signatory is named.
"""

from django.db import migrations

# A migration keeps its own copy of the data it needs (see 0004_branch_prefix).
CPNEFP_BRANCHES = {
    "agroalimentaire",
    "ameublement",
    "chaussure",
    "eaux-boissons-biere",
    "entretien-textiles",
    "grands-magasins",
    "habillement",
    "ingenierie-informatique-conseil",
    "maroquinerie",
    "medicament",
    "miroiterie",
    "restauration-collective",
    "tannerie-megisserie",
    "vente-a-distance",
}
CPNE_BRANCHES = {
    "caoutchouc",
    "chimie",
    "commerce-distribution",
    "travail-temporaire",
    "recuperation",
    "metallurgie",
    "papiers-cartons",
    "textile",
}
PLACEHOLDER = "Signataire à désigner"


def fill(apps, schema_editor):
    Branch = apps.get_model("branches", "Branch")
    CharterSignature = apps.get_model("branches", "CharterSignature")
    for branch in Branch.objects.all():
        fields = []
        if not branch.certifier_name:
            latest = CharterSignature.objects.filter(branch=branch).order_by("-signed_on").first()
            if latest is not None and latest.approving_body.strip():
                name = latest.approving_body.strip()
            elif branch.code in CPNEFP_BRANCHES:
                name = f"CPNEFP de la branche {branch.name}"
            elif branch.code in CPNE_BRANCHES:
                name = f"CPNE de la branche {branch.name}"
            else:
                name = ""
            if name:
                branch.certifier_name = name[:200]
                fields.append("certifier_name")
        if branch.signatory_name.strip() == PLACEHOLDER:
            branch.signatory_name = ""
            fields.append("signatory_name")
        if fields:
            branch.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0005_branch_certifier_name"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
