"""Loads the reference data (branches, charter signatures, the 9 CQPI); safe to run again.

What exists is never overwritten (the national administrator may have edited it); what is
missing is created: a branch, its charter signature, a CQPI, an adoption, the validation.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Branch, CharterSignature
from certifications import services
from certifications.models import Referentiel, ReferentielStatus
from certifications.referentiel_import import import_document

from .branches import BRANCHES, PLACE_OF_ISSUE, SIGNATORY_PLACEHOLDER
from .catalogue import documents


def load_reference_data(*, dry_run: bool = False) -> list[str]:
    """Create what is missing and return what was (or, with `dry_run`, would be) done."""
    with transaction.atomic():
        lines = _load_branches() + _load_cqpi()
        if dry_run:
            transaction.set_rollback(True)
    return lines


def _load_branches() -> list[str]:
    lines: list[str] = []
    existing = Branch.objects.in_bulk([b.code for b in BRANCHES], field_name="code")
    for data in BRANCHES:
        branch = existing.get(data.code)
        if branch is None:
            branch = Branch.objects.create(
                code=data.code,
                prefix=data.prefix,
                name=data.name,
                place_of_issue=PLACE_OF_ISSUE,
                signatory_name=SIGNATORY_PLACEHOLDER,
                signatory_title=data.signatory_title,
                partial_validity_months=data.partial_validity_months,
            )
            lines.append(
                _("Branche créée : %(name)s (%(code)s).") % {"name": data.name, "code": data.code}
            )
        if not branch.charter_signatures.exists():
            CharterSignature.objects.create(
                branch=branch, signed_on=data.signed_on, approving_body=data.approving_body
            )
            lines.append(
                _("Signature de la charte enregistrée : %(name)s, le %(date)s.")
                % {"name": data.name, "date": data.signed_on.strftime("%d/%m/%Y")}
            )
    return lines


def _load_cqpi() -> list[str]:
    lines: list[str] = []
    for document in documents():
        referentiel = Referentiel.objects.filter(code=document["code"]).first()
        if referentiel is None or not referentiel.versions.exists():
            lines.extend(import_document(document).lines)
            continue
        lines.extend(_complete(referentiel, document))
    return lines


def _complete(referentiel: Referentiel, document: dict) -> list[str]:
    """An existing CQPI: its versions are left alone; missing adoptions and validation are added."""
    lines: list[str] = []
    adopted = set(referentiel.adoptions.values_list("branch__code", flat=True))
    codes = [a["branch_code"] for a in document["adoptions"] if a["branch_code"] not in adopted]
    branches = Branch.objects.in_bulk(codes, field_name="code")
    for adoption in document["adoptions"]:
        branch = branches.get(adoption["branch_code"])
        if branch is None:
            continue
        accord_date = datetime.date.fromisoformat(adoption["accord_date"])
        services.referentiel_adopt(
            referentiel=referentiel, branch=branch, accord_date=accord_date, by=None
        )
        lines.append(
            _("« %(title)s » adopté par la branche %(branch)s.")
            % {"title": referentiel.title, "branch": branch.name}
        )
    if (
        referentiel.status == ReferentielStatus.DRAFT
        and referentiel.adoptions.count() >= services.MIN_ADOPTING_BRANCHES
        and referentiel.versions.in_force().exists()
    ):
        services.referentiel_validate(referentiel=referentiel, by=None)
        lines.append(_("CQPI validé : %(title)s.") % {"title": referentiel.title})
    return lines
