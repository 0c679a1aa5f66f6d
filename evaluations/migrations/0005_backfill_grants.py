"""Backfill the per-object grants that the scoping querysets now read.

Before, access was computed from the sheets, seats and memberships themselves; an upgraded
deployment keeps it by granting what those rows said: each grid's holder on its evaluation,
each convoked jury member on their session, each active company référent on their company.
"""

from django.db import migrations


def _permission(apps, app_label, model, codename, name):
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    content_type, _created = content_type_model.objects.get_or_create(
        app_label=app_label, model=model
    )
    permission, _created = permission_model.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def backfill(apps, schema_editor):
    EvaluationSheet = apps.get_model("evaluations", "EvaluationSheet")
    JuryMember = apps.get_model("evaluations", "JuryMember")
    Membership = apps.get_model("branches", "Membership")
    EvaluationGrant = apps.get_model("evaluations", "EvaluationUserObjectPermission")
    SessionGrant = apps.get_model("evaluations", "JurySessionUserObjectPermission")
    CompanyGrant = apps.get_model("branches", "CompanyUserObjectPermission")

    sheets = EvaluationSheet.objects.values_list("evaluator_id", "evaluation_id")
    if sheets.exists():
        score = _permission(
            apps, "evaluations", "evaluation", "score_evaluation", "Peut noter cette évaluation"
        )
        EvaluationGrant.objects.bulk_create(
            (
                EvaluationGrant(user_id=user_id, content_object_id=pk, permission=score)
                for user_id, pk in sheets.iterator()
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
    seats = JuryMember.objects.values_list("user_id", "session_id")
    if seats.exists():
        sit = _permission(
            apps,
            "evaluations",
            "jurysession",
            "sit_on_session",
            "Siège dans cette session de jury",
        )
        SessionGrant.objects.bulk_create(
            (
                SessionGrant(user_id=user_id, content_object_id=pk, permission=sit)
                for user_id, pk in seats.iterator()
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )
    referents = Membership.objects.filter(
        role="referent", is_active=True, company__isnull=False
    ).values_list("user_id", "company_id")
    if referents.exists():
        view = _permission(apps, "branches", "company", "view_company", "Can view entreprise")
        CompanyGrant.objects.bulk_create(
            (
                CompanyGrant(user_id=user_id, content_object_id=pk, permission=view)
                for user_id, pk in referents.iterator()
            ),
            batch_size=5000,
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("branches", "0004_branch_prefix"),
        ("evaluations", "0004_grants_related_name"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
