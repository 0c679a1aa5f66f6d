"""Loads the reference data (branches, charter signatures, the 9 CQPI); safe to run again.

What exists is never overwritten (the national administrator may have edited it); what is
missing is created: a branch, its charter signature, a CQPI, an adoption, the validation.
The CQPI are the JSON files of `referentiels/`, in the import format (docs/referentiel-format.md),
loaded by the importer itself; their file names give the loading order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Branch, CharterSignature
from certifications.referentiel_import import ReferentielImportError, import_or_complete, parse_json

from .branches import BRANCHES, PLACE_OF_ISSUE

REFERENTIELS_DIR = Path(__file__).resolve().parent / "referentiels"


def referentiel_files() -> list[Path]:
    """The shipped référentiels, in loading order."""
    return sorted(REFERENTIELS_DIR.glob("*.json"))


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
                certifier_name=data.certifier_name,
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
    for path in referentiel_files():
        with _located(path):
            lines.extend(import_or_complete(parse_json(path.read_bytes())))
    return lines


@contextmanager
def _located(path: Path) -> Iterator[None]:
    """Prefix the importer's errors with the file's name: the command lists them on stderr."""
    try:
        yield
    except ReferentielImportError as exc:
        raise ReferentielImportError([f"{path.name} : {error}" for error in exc.errors]) from exc
