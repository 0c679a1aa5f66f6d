"""One Person per existing candidate: no automatic linking, not even within a branch (the
staff link records with the person's consent, or a national administrator merges)."""

from typing import Any

from django.db import migrations

from core.identity import normalised_identity

_FIELDS = (
    "last_name",
    "usage_name",
    "first_name",
    "first_name_2",
    "first_name_3",
    "birth_date",
    "birth_place",
    "birth_insee_code",
    "birth_country_code",
    "birth_country_label",
    "email",
)


def forwards(apps: Any, schema_editor: Any) -> None:
    Candidate = apps.get_model("candidates", "Candidate")
    Person = apps.get_model("candidates", "Person")
    PersonEvent = apps.get_model("candidates", "PersonEvent")
    for candidate in Candidate.objects.filter(person__isnull=True).order_by("pk").iterator():
        values = {name: getattr(candidate, name) for name in _FIELDS}
        key = normalised_identity(
            last_name=candidate.last_name,
            first_name=candidate.first_name,
            birth_date=candidate.birth_date,
        ).key
        person = Person.objects.create(identity_key=key, **values)
        Candidate.objects.filter(pk=candidate.pk).update(person=person)
        PersonEvent.objects.create(
            person=person,
            action="created",
            candidate_id=candidate.pk,
            comment="Migration : une personne par candidat existant.",
        )


class Migration(migrations.Migration):
    dependencies = [("candidates", "0010_person")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
