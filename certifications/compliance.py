"""The compliance gate: what would make a certificate or attestation non-compliant, checked
before anything is issued.

Three families of checks, each problem with a code and a French message naming what to fix
and where:

- the branch's settings (`branch_problems`): certifier body, signatory name and title,
  signature image — filled in by its CPNE staff on the branch's settings page
  (`administration:branch_settings`), section « Certificats et attestations »;
- the dossier on the decision date (`dossier_problems`): a registration (RNCP/RS) valid on
  that date, a référentiel version that had taken effect, a complete holder identity;
- the rendered document (`document_problems`): every mandatory mention present in the text
  actually rendered (certifier, CQPI title, registration number, holder, date and place of
  issue, signatory).

`certifications.services.certificate_issue` and `certificate_reissue` refuse with
`NonCompliant` when any problem is found; the jury session page shows the same checklist
before and during the session (`evaluations.selectors.session_compliance`).
"""

from __future__ import annotations

import base64
import datetime
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Branch
from core.errors import DomainError
from core.uploads import SIGNATURE_MAX_BYTES

from .models import VersionStatus

_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True)
class Problem:
    """One reason a document would not be compliant."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


class NonCompliant(DomainError):
    """Issuance refused: the document would fail the compliance gate."""

    code = "non_compliant"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("Document non conforme, rien n'est délivré. À corriger : %(problems)s")
            % {"problems": " ".join(f"({i}) {p.message}" for i, p in enumerate(self.problems, 1))}
        )


def refuse_unless_compliant(problems: list[Problem]) -> None:
    if problems:
        raise NonCompliant(problems)


def signature_data_uri(branch: Branch) -> str | None:
    """The branch's signature image as a data URI, copied into the snapshot so that a later
    change of signatory never alters a certificate already issued. PNG or JPEG only,
    size-capped; None when absent or unusable."""
    if not branch.signatory_image:
        return None
    try:
        with branch.signatory_image.open("rb") as handle:
            data = handle.read(SIGNATURE_MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > SIGNATURE_MAX_BYTES:
        return None
    mime = next((m for magic, m in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def certifier_problems(branch: Branch) -> list[Problem]:
    """The certifier body, printed on every certificate, attestation and procès-verbal."""
    if branch.certifier_name.strip():
        return []
    return [
        Problem(
            "certifier_missing",
            _(
                "L'organisme certificateur n'est pas nommé : renseignez-le tel qu'enregistré "
                "(par exemple « CPNEFP de la branche … ») dans les paramètres de la branche "
                "%(branch)s, rubrique « Certificats et attestations »."
            )
            % {"branch": branch.name},
        )
    ]


def branch_problems(branch: Branch, *, signature: str | bool | None = True) -> list[Problem]:
    """What the branch's settings lack for a compliant document.

    `signature`: the signature's data URI when the caller has already read it (None: unusable);
    True (default): read it here."""
    problems = certifier_problems(branch)
    names = {"branch": branch.name}
    if not branch.signatory_name.strip():
        problems.append(
            Problem(
                "signatory_missing",
                _(
                    "Aucun signataire n'est désigné : indiquez son nom dans les paramètres de "
                    "la branche %(branch)s, rubrique « Certificats et attestations »."
                )
                % names,
            )
        )
    if not branch.signatory_title.strip():
        problems.append(
            Problem(
                "signatory_title_missing",
                _(
                    "La qualité du signataire manque : indiquez-la dans les paramètres de la "
                    "branche %(branch)s, rubrique « Certificats et attestations »."
                )
                % names,
            )
        )
    if signature is True:
        signature = signature_data_uri(branch)
    if not signature:
        problems.append(
            Problem(
                "signature_image_missing",
                _(
                    "La signature (image) est absente ou inutilisable : déposez une image PNG "
                    "ou JPEG dans les paramètres de la branche %(branch)s, rubrique « Certificats "
                    "et attestations » (%(max)d ko au plus une fois nettoyée)."
                )
                % {**names, "max": SIGNATURE_MAX_BYTES // 1000},
            )
        )
    return problems


def _fmt(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def registration_valid_on(referentiel: Any, day: datetime.date) -> Any | None:
    """The registration (RNCP/RS) in force on `day`, the most recent if several; reads
    `referentiel.registrations.all()`, so a prefetch serves it."""
    valid = [r for r in referentiel.registrations.all() if r.decision_date <= day <= r.valid_until]
    return max(valid, key=lambda r: r.decision_date, default=None)


def version_in_force_on(version: Any, day: datetime.date) -> bool:
    """A published version (in force, or since replaced: its dossiers keep it) that had
    taken effect by `day`. A draft is never in force."""
    return version.status != VersionStatus.DRAFT and version.effective_from <= day


def registration_problems(referentiel: Any, on: datetime.date) -> list[Problem]:
    """No registration (RNCP/RS) of the CQPI valid on the decision date."""
    if registration_valid_on(referentiel, on) is not None:
        return []
    lapsed = max(
        (r for r in referentiel.registrations.all() if r.valid_until < on),
        key=lambda r: r.valid_until,
        default=None,
    )
    if lapsed is not None:
        message = _(
            "L'enregistrement %(code)s du CQPI « %(cqpi)s » a pris fin le %(until)s, avant "
            "la décision du %(day)s : enregistrez son renouvellement (administration, "
            "CQPI, enregistrements) avant de délivrer."
        ) % {
            "code": lapsed.code,
            "cqpi": referentiel.title,
            "until": _fmt(lapsed.valid_until),
            "day": _fmt(on),
        }
    else:
        message = _(
            "Le CQPI « %(cqpi)s » n'a aucun enregistrement RNCP ou RS valable le %(day)s : "
            "enregistrez-le (administration, CQPI, enregistrements) avant de délivrer."
        ) % {"cqpi": referentiel.title, "day": _fmt(on)}
    return [Problem("registration_invalid", message)]


# The holder's identity a document needs. Lazy labels: translated only for what is missing
# (a session page checks the fifty dossiers of its agenda).
HOLDER_IDENTITY_LABELS = (
    ("last_name", gettext_lazy("nom")),
    ("first_name", gettext_lazy("prénom")),
    ("birth_date", gettext_lazy("date de naissance")),
    ("birth_place", gettext_lazy("lieu de naissance")),
)


def _filled(value: Any) -> bool:
    return bool(value.strip() if isinstance(value, str) else value)


def dossier_problems(*, dossier: Any, on: datetime.date) -> list[Problem]:
    """What the dossier lacks for a compliant document decided on `on`."""
    version = dossier.version
    referentiel = version.referentiel
    problems = registration_problems(referentiel, on)
    if not version_in_force_on(version, on):
        problems.append(
            Problem(
                "version_not_in_force",
                _(
                    "La version %(number)d du référentiel « %(cqpi)s » n'est pas en vigueur le "
                    "%(day)s (statut « %(status)s », en vigueur depuis le %(since)s) : publiez-la "
                    "ou rattachez le dossier à la version en vigueur."
                )
                % {
                    "number": version.number,
                    "cqpi": referentiel.title,
                    "day": _fmt(on),
                    "status": version.get_status_display(),
                    "since": _fmt(version.effective_from),
                },
            )
        )
    candidate = dossier.candidate
    missing = [
        str(label)
        for field, label in HOLDER_IDENTITY_LABELS
        if not _filled(getattr(candidate, field))
    ]
    if missing:
        problems.append(
            Problem(
                "holder_identity_incomplete",
                _(
                    "L'identité du titulaire du dossier %(reference)s est incomplète (%(missing)s) : "
                    "complétez la fiche du candidat."
                )
                % {"reference": dossier.reference, "missing": ", ".join(missing)},
            )
        )
    return problems


def issuance_problems(*, dossier: Any, on: datetime.date) -> list[Problem]:
    """Everything that keeps a document of this dossier, decided on `on`, from being issued."""
    return branch_problems(dossier.branch) + dossier_problems(dossier=dossier, on=on)


def rendered_text(markup: str) -> str:
    """The text a reader sees in a rendered document, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(markup))).strip()


def document_problems(*, snapshot: dict[str, Any], markup: str) -> list[Problem]:
    """The mandatory mentions that the rendered document does not state.

    Checked on the very HTML the PDF is made from, so a template that loses a mention (or a
    snapshot that lacks one) is caught before the document exists."""
    from .rendering import french_date, holder_name

    text = rendered_text(markup)
    holder = snapshot.get("holder") or {}
    signatory = snapshot.get("signatory") or {}
    registration = snapshot.get("registration") or {}
    mentions = [
        ("certifier", _("l'organisme certificateur"), [snapshot.get("certifier")]),
        ("cqpi_title", _("l'intitulé du CQPI"), [(snapshot.get("cqpi") or {}).get("title")]),
        ("registration_number", _("le numéro d'enregistrement"), [registration.get("code")]),
        ("holder", _("le titulaire"), [holder_name(holder)] if holder else [None]),
        (
            "issue_date_place",
            _("la date et le lieu de délivrance"),
            [french_date(snapshot.get("issued_on")), snapshot.get("place_of_issue")],
        ),
        ("signatory", _("le signataire"), [signatory.get("name"), signatory.get("title")]),
    ]
    problems: list[Problem] = []
    for code, label, values in mentions:
        if not all(value and str(value).strip() and str(value).strip() in text for value in values):
            problems.append(
                Problem(
                    f"mention_missing_{code}",
                    _("Mention obligatoire absente du document : %(mention)s.")
                    % {"mention": label},
                )
            )
    image = signatory.get("image")
    if not image or f'src="{image}"' not in markup:
        problems.append(
            Problem(
                "mention_missing_signature_image",
                _("Mention obligatoire absente du document : la signature (image)."),
            )
        )
    return problems
