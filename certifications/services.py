"""Writes of the certifications room: adoption and validation of CQPI, and the certificate's life.

A certificate is created, with its number, in the transaction that records the jury's
decision; its PDF is rendered afterwards by a Celery task enqueued on commit.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import require_branch_staff, roles_of
from branches.models import Branch
from branches.services import counter_next
from core.errors import DomainError, InvalidTransition
from core.reminders import reminder_claim
from core.text import person_name
from credentials.models import STATUS_LIST_BITS
from credentials.services import status_index_allocate, status_revoke

from .compliance import (
    branch_problems,
    document_problems,
    dossier_problems,
    refuse_unless_compliant,
    registration_problems,
    registration_valid_on,
    signature_data_uri,
)
from .models import (
    Adoption,
    Bloc,
    Capacity,
    Certificate,
    CertificateEvent,
    CertificateKind,
    CertificateStatus,
    Equivalence,
    EquivalenceStatus,
    Referentiel,
    ReferentielStatus,
    ReferentielVersion,
    RenderStatus,
    VersionStatus,
)

MIN_ADOPTING_BRANCHES = 2


def _require_national_admin(user: Any) -> None:
    if not roles_of(user).is_national_admin:
        raise PermissionDenied


@transaction.atomic
def referentiel_adopt(
    *, referentiel: Referentiel, branch: Branch, accord_date: datetime.date, by: Any | None
) -> Adoption:
    """`by=None` is the system itself (reference data, référentiel import), like `version_publish`."""
    if by is not None:
        require_branch_staff(by, branch.pk)
    if referentiel.adoptions.filter(branch=branch).exists():
        raise DomainError(_("La branche a déjà adopté ce CQPI."), code="already_adopted")
    return Adoption.objects.create(referentiel=referentiel, branch=branch, accord_date=accord_date)


@transaction.atomic
def referentiel_validate(*, referentiel: Referentiel, by: Any | None) -> Referentiel:
    """A CQPI is validated only once at least two branches have adopted it.

    `by=None` is the system itself (reference data, référentiel import), like `version_publish`.
    """
    if by is not None:
        _require_national_admin(by)
    locked = Referentiel.objects.select_for_update().get(pk=referentiel.pk)
    if locked.status != ReferentielStatus.DRAFT:
        raise InvalidTransition(_("Ce CQPI n'est pas en création."))
    adopting = locked.adoptions.count()
    if adopting < MIN_ADOPTING_BRANCHES:
        raise DomainError(
            _(
                "Un CQPI doit être adopté par au moins deux branches pour être validé "
                "(%(count)d adoption(s) à ce jour)."
            )
            % {"count": adopting},
            code="not_enough_adoptions",
        )
    if not locked.versions.filter(status=VersionStatus.IN_FORCE).exists():
        raise DomainError(
            _("Publiez d'abord une version du référentiel."), code="no_version_in_force"
        )
    locked.status = ReferentielStatus.VALIDATED
    locked.validated_on = timezone.localdate()
    locked.save(update_fields=["status", "validated_on"])
    referentiel.status, referentiel.validated_on = locked.status, locked.validated_on
    return locked


@transaction.atomic
def version_publish(*, version: ReferentielVersion, by: Any | None) -> ReferentielVersion:
    """Put a draft version in force; the previous one is retired (its dossiers keep it)."""
    if by is not None:
        _require_national_admin(by)
    locked = ReferentielVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise InvalidTransition(_("Seule une version en brouillon peut être publiée."))
    if not locked.blocs.filter(capacities__isnull=False).exists():
        raise DomainError(_("Une version sans capacité ne peut être publiée."), code="empty")
    ReferentielVersion.objects.filter(
        referentiel_id=locked.referentiel_id, status=VersionStatus.IN_FORCE
    ).update(status=VersionStatus.RETIRED)
    locked.status = VersionStatus.IN_FORCE
    locked.save(update_fields=["status"])
    version.status = locked.status
    return locked


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def _registration_payload(registration: Any) -> dict[str, Any] | None:
    if registration is None:
        return None
    return {
        "kind": registration.get_kind_display(),
        "code": registration.code,
        "decision_date": registration.decision_date.isoformat(),
        "valid_until": registration.valid_until.isoformat(),
    }


def build_snapshot(
    *,
    dossier: Any,
    validated_capacity_ids: set[int],
    issued_on: datetime.date,
    decided_on: datetime.date | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """What the certificate certifies, copied at issue: rendering never reads the live dossier.

    The registration is the one valid on the decision date (`decided_on`, by default the date
    of issue): a registration that had lapsed is never printed as if it were in force."""
    version = dossier.version
    referentiel = version.referentiel
    candidate = dossier.candidate
    branch = dossier.branch
    decided_on = decided_on or issued_on
    registration = registration_valid_on(referentiel, decided_on)
    # Capacities credited into a completed dossier from earlier documents (#18): the
    # candidates room declares them onto the dossier; the document names their sources.
    credits = {c.capacity_id: c for c in dossier.credited_capacities.all()}
    credited_documents: dict[str, dict[str, Any]] = {}
    blocs = []
    for bloc in version.blocs.prefetch_related("capacities").order_by("order", "code"):
        capacities = []
        for c in bloc.capacities.all():
            if c.pk not in validated_capacity_ids:
                continue
            entry: dict[str, Any] = {"code": c.code, "title": c.title}
            credit = credits.get(c.pk)
            if credit is not None:
                entry["credited"] = {
                    "number": credit.document_number,
                    "issued_on": credit.document_issued_on.isoformat(),
                    "branch": credit.document_branch,
                }
                document = credited_documents.setdefault(
                    credit.document_number,
                    {
                        "number": credit.document_number,
                        "kind": credit.document_kind,
                        "issued_on": credit.document_issued_on.isoformat(),
                        "branch": credit.document_branch,
                        "cqpi": credit.document_cqpi,
                        "capacities": [],
                    },
                )
                document["capacities"].append(c.code)
            capacities.append(entry)
        if capacities:
            blocs.append(
                {
                    "code": bloc.code,
                    "title": bloc.title,
                    "capacities": capacities,
                    # an attestation says so when a whole bloc is validated
                    "complete": len(capacities) == len(bloc.capacities.all()),
                }
            )
    return {
        "holder": {
            "last_name": candidate.last_name,
            "first_name": candidate.first_name,
            # The name as the document prints it (core.text.person_name); snapshots made
            # before it existed lack it and print the names as typed (decision 0003).
            "name": person_name(candidate.first_name, candidate.last_name),
            "birth_date": candidate.birth_date.isoformat(),
            "birth_place": candidate.birth_place,
            # For recognising the holder exactly elsewhere (core.identity), never printed.
            "birth_insee_code": candidate.birth_insee_code,
            "birth_country_code": candidate.birth_country_code,
        },
        "cqpi": {
            "code": referentiel.code,
            "title": referentiel.title,
            "version": version.number,
            "level": referentiel.level,
            "eqf_level": referentiel.eqf_level,
            "nsf_codes": referentiel.nsf_codes,
        },
        "registration": _registration_payload(registration),
        "branch": {"code": branch.code, "name": branch.name},
        "certifier": branch.certifier_name.strip(),
        "signatory": _signatory(branch, signature),
        "place_of_issue": branch.place_of_issue,
        "decided_on": decided_on.isoformat(),
        "issued_on": issued_on.isoformat(),
        "dossier_reference": dossier.reference,
        "access_route": dossier.get_access_route_display(),
        "blocs": blocs,
        "credited_documents": list(credited_documents.values()),
    }


def _signatory(branch: Branch, signature: str | None) -> dict[str, Any]:
    return {
        "name": branch.signatory_name.strip(),
        "title": branch.signatory_title.strip(),
        "image": signature,
    }


def _refuse_unless_rendered_compliant(certificate: Certificate) -> None:
    """Render the document's HTML as the PDF will be made from it and check its mentions."""
    from .rendering import certificate_html

    refuse_unless_compliant(
        document_problems(snapshot=certificate.snapshot, markup=certificate_html(certificate))
    )


def certificate_number(*, partial: bool, branch_prefix: str, year: int, sequence: int) -> str:
    """CQPI-<branch>-<year>-<sequence> for a certificate, AVP-… for a partial validation.

    Both kinds share the branch's yearly "certificate" counter, so a number is unique
    across kinds even without its prefix.
    """
    return f"{'AVP' if partial else 'CQPI'}-{branch_prefix}-{year}-{sequence:06d}"


def certificate_issue(
    *,
    decision: Any,
    validated_capacity_ids: set[int],
    partial: bool,
    by: Any,
    issued_on: datetime.date | None = None,
) -> Certificate:
    """Create the certificate (or partial attestation) of a decision, with its number, and
    enqueue its rendering once the surrounding transaction commits.

    Must run inside the transaction that records the decision. Refused with `NonCompliant`
    (the decision with it) when the document would fail the compliance gate: the checks of
    the branch's settings and the dossier before anything is numbered, then the mandatory
    mentions of the rendered text.
    """
    from .tasks import enqueue_render

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("certificate_issue must run inside the decision's transaction")
    dossier = decision.dossier
    branch = dossier.branch
    issued_on = issued_on or timezone.localdate()
    decided_on = timezone.localdate(decision.decided_at)
    signature = signature_data_uri(branch)
    refuse_unless_compliant(
        branch_problems(branch, signature=signature)
        + dossier_problems(dossier=dossier, on=decided_on)
    )
    number = counter_next(branch=branch, kind="certificate", year=issued_on.year)
    kind = CertificateKind.PARTIAL if partial else CertificateKind.CERTIFICATE
    valid_until = None
    if partial and branch.partial_validity_months:
        valid_until = _add_months(issued_on, branch.partial_validity_months)
    snapshot = build_snapshot(
        dossier=dossier,
        validated_capacity_ids=validated_capacity_ids,
        issued_on=issued_on,
        decided_on=decided_on,
        signature=signature,
    )
    snapshot["kind"] = kind
    snapshot["valid_until"] = valid_until.isoformat() if valid_until else None
    snapshot["cqpi"]["description"] = dossier.version.referentiel.description.strip()
    snapshot["recipient"] = _recipient(dossier.candidate.email)
    certificate = Certificate.objects.create(
        number=certificate_number(
            partial=partial, branch_prefix=branch.prefix, year=issued_on.year, sequence=number
        ),
        kind=kind,
        dossier=dossier,
        decision=decision,
        branch=branch,
        version=dossier.version,
        holder_name=snapshot["holder"]["name"],
        issued_on=issued_on,
        place_of_issue=branch.place_of_issue,
        valid_until=valid_until,
        snapshot=snapshot,
        credential_status_index=status_index_allocate(branch=branch),
    )
    snapshot["number"] = certificate.number
    certificate.snapshot = snapshot
    _refuse_unless_rendered_compliant(certificate)
    certificate.save(update_fields=["snapshot"])
    CertificateEvent.objects.create(certificate=certificate, action="issued", by=by)
    enqueue_render(certificate.pk)
    audit_record(
        "certificate.issue",
        obj=certificate,
        branch=certificate.branch_id,
        actor=by,
        details={"number": certificate.number, "kind": certificate.kind},
    )
    return certificate


def _recipient(email: str) -> dict[str, str] | None:
    """How the credential names its holder (Open Badges 3.0, IdentityObject): the salted
    SHA-256 of the email address, never the address itself."""
    email = email.strip().lower()
    if not email:
        return None
    salt = secrets.token_hex(16)
    return {
        "identity_hash": f"sha256${hashlib.sha256((email + salt).encode()).hexdigest()}",
        "salt": salt,
    }


def _sign_credential(certificate: Certificate) -> None:
    """Make the certificate's signed Open Badges credential and QR payload from its snapshot,
    in the render's transaction; a credential that fails the vendored schema fails the render."""
    from credentials import issuing, keys
    from credentials.services import certificate_sign

    branch = certificate.branch
    if certificate.credential_status_index is None:  # issued before credentials existed
        certificate.credential_status_index = status_index_allocate(branch=branch)
    number, position = divmod(certificate.credential_status_index, STATUS_LIST_BITS)
    issuer = keys.did_web(branch.code)
    document = issuing.build_credential(
        snapshot={**certificate.snapshot, "number": certificate.number},
        credential_id=certificate.verification_url,
        issuer_id=issuer,
        status_entry=issuing.status_entry(
            list_url=keys.status_list_url(branch.code, number), index=position
        ),
    )
    credential, certificate.qr_jws = certificate_sign(
        branch=branch,
        document=document,
        claims=issuing.qr_claims(
            {**certificate.snapshot, "number": certificate.number},
            issuer_id=issuer,
            status_index=certificate.credential_status_index,
        ),
    )
    problems = issuing.schema_errors(credential)
    if problems:
        raise ValueError(f"the credential fails the OB 3.0 schema: {problems[:3]}")
    certificate.credential = credential
    if certificate.status != CertificateStatus.VALID:  # revoked before its first render
        status_revoke(branch=branch, index=certificate.credential_status_index)


def _valid_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and len(data) > 1000


def _seal_reason(certificate: Certificate) -> str:
    with translation.override("fr"):
        return _("Cachet électronique de %(branch)s — %(kind)s n° %(number)s") % {
            "branch": (certificate.snapshot.get("branch") or {}).get("name", ""),
            "kind": certificate.get_kind_display(),
            "number": certificate.number,
        }


def certificate_store_pdf(*, certificate_id: int) -> Certificate:
    """Render and store a certificate's PDF, once: a second call finds it ready and does nothing.

    The row stays locked while rendering, so two deliveries of the same task never
    render side by side; a corrupt or empty result is never stored.
    """
    from .rendering import render_certificate_pdf
    from .sealing import seal_pdf
    from .tasks import enqueue_certificate_ready_email

    with transaction.atomic():
        # The branch comes with the row (signing names its issuer and key); only the
        # certificate's row is locked.
        certificate = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("branch")
            .get(pk=certificate_id)
        )
        if certificate.render_status == RenderStatus.READY and certificate.pdf:
            return certificate
        certificate.render_attempts += 1
        if not certificate.credential:
            _sign_credential(certificate)
        data = render_certificate_pdf(certificate)
        if not _valid_pdf(data):
            raise ValueError("the renderer produced no valid PDF")
        # Sealed before it is stored: a failed seal is a failed render, never an unsealed file.
        data = seal_pdf(data, reason=_seal_reason(certificate))
        if certificate.pdf:
            certificate.pdf.delete(save=False)
        # One name per certificate: a file left by an attempt killed before its commit is
        # replaced, never kept beside the new one under a suffixed name. The row lock keeps
        # any other render of this certificate out meanwhile.
        field = certificate.pdf.field
        name = field.generate_filename(certificate, f"{certificate.number}.pdf")
        if field.storage.exists(name):
            field.storage.delete(name)
        certificate.pdf = field.storage.save(name, ContentFile(data), max_length=field.max_length)
        certificate.pdf_sha256 = hashlib.sha256(data).hexdigest()
        certificate.render_status = RenderStatus.READY
        certificate.render_error = ""
        certificate.rendered_at = timezone.now()
        certificate.save(
            update_fields=[
                "pdf",
                "pdf_sha256",
                "render_status",
                "render_error",
                "rendered_at",
                "render_attempts",
                "credential",
                "credential_status_index",
                "qr_jws",
            ]
        )
        CertificateEvent.objects.create(certificate=certificate, action="rendered")
        enqueue_certificate_ready_email(certificate.pk)
    return certificate


@transaction.atomic
def certificate_mark_render_failed(*, certificate_id: int, error: str) -> None:
    certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
    if certificate.render_status == RenderStatus.READY:
        return
    certificate.render_status = RenderStatus.FAILED
    certificate.render_error = error[:2000]
    # the failed attempt's own increment was rolled back with its transaction
    certificate.render_attempts += 1
    certificate.save(update_fields=["render_status", "render_error", "render_attempts"])
    CertificateEvent.objects.create(
        certificate=certificate, action="render_failed", comment=error[:500]
    )


@transaction.atomic
def certificate_retry_render(*, certificate: Certificate, by: Any) -> Certificate:
    from .tasks import enqueue_render

    require_branch_staff(by, certificate.branch_id)
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.render_status != RenderStatus.FAILED:
        raise InvalidTransition(_("Ce certificat n'est pas en échec de génération."))
    locked.render_status = RenderStatus.PENDING
    locked.save(update_fields=["render_status"])
    CertificateEvent.objects.create(certificate=locked, action="render_retried", by=by)
    enqueue_render(locked.pk)
    audit_record("certificate.retry_render", obj=locked, branch=locked.branch_id, actor=by)
    return locked


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, by: Any) -> Certificate:
    require_branch_staff(by, certificate.branch_id)
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de la révocation."), code="reason_required")
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status != CertificateStatus.VALID:
        raise InvalidTransition(
            _("Ce certificat est « %(status)s » : il ne peut être révoqué.")
            % {"status": locked.get_status_display()}
        )
    locked.status = CertificateStatus.REVOKED
    locked.revoked_at = timezone.now()
    locked.revocation_reason = reason.strip()
    locked.save(update_fields=["status", "revoked_at", "revocation_reason"])
    if locked.credential_status_index is not None:
        # The credential's bit is set in the same transaction: revoked everywhere at once.
        status_revoke(branch=locked.branch, index=locked.credential_status_index)
    CertificateEvent.objects.create(
        certificate=locked, action="revoked", by=by, comment=reason.strip()
    )
    certificate.status, certificate.revoked_at = locked.status, locked.revoked_at
    certificate.revocation_reason = locked.revocation_reason
    audit_record(
        "certificate.revoke",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"number": locked.number, "reason": locked.revocation_reason[:200]},
    )
    return locked


@transaction.atomic
def certificate_reissue(
    *,
    certificate: Certificate,
    by: Any,
    reason: str,
    holder_first_name: str | None = None,
    holder_last_name: str | None = None,
) -> Certificate:
    """Issue a corrected copy of a valid certificate (e.g. a misspelt name) that supersedes it.

    Both rows are kept: the old one says "superseded" on the verification page and points
    at its replacement through `reissue_of`. The new document has its own number, today's
    date of issue, and the same validity as the one it replaces. It is a new document: the
    branch's certifier and signatory of today sign it, the registration is the one valid on
    the original decision date, and it passes the compliance gate like any issue.
    """
    from .tasks import enqueue_render

    require_branch_staff(by, certificate.branch_id)
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de la réédition."), code="reason_required")
    locked = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("branch", "version__referentiel", "decision")
        .get(pk=certificate.pk)
    )
    if locked.status != CertificateStatus.VALID:
        raise InvalidTransition(
            _("Ce certificat est « %(status)s » : il ne peut être réédité.")
            % {"status": locked.get_status_display()}
        )
    today = timezone.localdate()
    branch = locked.branch
    decided_on = timezone.localdate(locked.decision.decided_at)
    signature = signature_data_uri(branch)
    refuse_unless_compliant(
        branch_problems(branch, signature=signature)
        + registration_problems(locked.version.referentiel, decided_on)
    )
    snapshot = copy.deepcopy(locked.snapshot)
    holder = snapshot.setdefault("holder", {})
    for key, value in (("first_name", holder_first_name), ("last_name", holder_last_name)):
        if value is not None and value.strip():
            holder[key] = value.strip()
    # A reissue is a new document: it prints the name in today's form, whatever the old one did.
    holder["name"] = person_name(holder.get("first_name", ""), holder.get("last_name", ""))
    # The same series as the original (kind and branch prefix), numbered in today's year.
    number = certificate_number(
        partial=locked.kind == CertificateKind.PARTIAL,
        branch_prefix=branch.prefix,
        year=today.year,
        sequence=counter_next(branch=branch, kind="certificate", year=today.year),
    )
    snapshot.update(
        {
            "number": number,
            "issued_on": today.isoformat(),
            "reissue_of": locked.number,
            "original_issued_on": locked.issued_on.isoformat(),
            "decided_on": decided_on.isoformat(),
            "registration": _registration_payload(
                registration_valid_on(locked.version.referentiel, decided_on)
            ),
            "certifier": branch.certifier_name.strip(),
            "signatory": _signatory(branch, signature),
        }
    )
    replacement = Certificate.objects.create(
        number=number,
        kind=locked.kind,
        dossier_id=locked.dossier_id,
        decision_id=locked.decision_id,
        reissue_of=locked,
        branch_id=locked.branch_id,
        version_id=locked.version_id,
        holder_name=holder["name"],
        issued_on=today,
        place_of_issue=locked.place_of_issue,
        valid_until=locked.valid_until,
        snapshot=snapshot,
        credential_status_index=status_index_allocate(branch=branch),
    )
    _refuse_unless_rendered_compliant(replacement)
    locked.status = CertificateStatus.SUPERSEDED
    locked.save(update_fields=["status"])
    if locked.credential_status_index is not None:
        # The replaced document's credential no longer stands: its holder shares the new one.
        status_revoke(branch=branch, index=locked.credential_status_index)
    CertificateEvent.objects.create(
        certificate=locked, action="superseded", by=by, comment=reason.strip()
    )
    CertificateEvent.objects.create(
        certificate=replacement, action="reissued", by=by, comment=reason.strip()
    )
    enqueue_render(replacement.pk)
    certificate.status = locked.status
    audit_record(
        "certificate.reissue",
        obj=replacement,
        branch=locked.branch_id,
        actor=by,
        details={"number": replacement.number, "replaces": locked.number},
    )
    return replacement


# --- Expiry alerts of partial validations -------------------------------------------------------

# Months before a partial validation lapses when its holder and the branch's CPNE are warned.
EXPIRY_ALERT_MONTHS = (6, 3, 1)


@transaction.atomic
def expiry_alerts_send(*, now: datetime.datetime | None = None) -> int:
    """Warn the holder of a valid partial attestation, and the staff of its branch, 6, 3 and
    1 month(s) before it lapses, once each: each alert's key (core.reminders) is claimed in
    the transaction that enqueues it, so another run sends nothing again. Each alert has its
    window — (3, 6] months before for the first, (1, 3] for the second, (0, 1] for the last —
    so an attestation found late gets only the alerts still due. A partial validation that
    was completed (`CertificateQuerySet.not_completed`) is not alerted. Returns how many
    went out."""
    from .tasks import enqueue_expiry_alert

    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for position, months in enumerate(EXPIRY_ALERT_MONTHS):
        later = EXPIRY_ALERT_MONTHS[position + 1] if position + 1 < len(EXPIRY_ALERT_MONTHS) else 0
        lapsing = (
            Certificate.objects.filter(
                kind=CertificateKind.PARTIAL,
                status=CertificateStatus.VALID,
                valid_until__gt=_add_months(today, later) if later else today,
                valid_until__lte=_add_months(today, months),
            )
            .not_completed()
            .only("pk", "branch_id", "number", "valid_until")
            .order_by("pk")
        )
        for certificate in lapsing:
            if not reminder_claim(f"expiry:{certificate.pk}:{months}", now=now):
                continue
            enqueue_expiry_alert(certificate.pk, months)
            audit_record(
                "certificate.expiry_alert",
                obj=certificate,
                branch=certificate.branch_id,
                details={"number": certificate.number, "months": months},
            )
            sent += 1
    return sent


# --- The equivalence table (national administrators) -----------------------------------


@transaction.atomic
def equivalence_propose(
    *, source: Capacity | Bloc, target: Capacity | Bloc, comment: str = "", by: Any
) -> Equivalence:
    """Propose that holding `source` gives `target`: two capacities, or two blocs, of
    different versions (of one CQPI or of two). It credits nothing until approved."""
    _require_national_admin(by)
    if type(source) is not type(target):
        raise DomainError(
            _("Une équivalence relie deux capacités ou deux blocs."), code="mixed_equivalence"
        )
    fields: dict[str, Any]
    if isinstance(source, Capacity):
        assert isinstance(target, Capacity)
        fields = {"source_capacity": source, "target_capacity": target}
        same_version = source.bloc.version_id == target.bloc.version_id
    else:
        assert isinstance(target, Bloc)
        fields = {"source_bloc": source, "target_bloc": target}
        same_version = source.version_id == target.version_id
    if same_version:
        raise DomainError(
            _("Une équivalence relie deux référentiels ou deux versions différents."),
            code="same_version",
        )
    if Equivalence.objects.filter(**fields).exclude(status=EquivalenceStatus.SUPERSEDED).exists():
        raise DomainError(_("Cette équivalence existe déjà."), code="duplicate_equivalence")
    equivalence = Equivalence.objects.create(**fields, comment=comment.strip(), created_by=by)
    audit_record(
        "equivalence.propose",
        obj=equivalence,
        actor=by,
        details={"source": str(source), "target": str(target)},
    )
    return equivalence


@transaction.atomic
def equivalence_approve(*, equivalence: Equivalence, by: Any) -> Equivalence:
    """A proposed equivalence enters the table in force."""
    _require_national_admin(by)
    locked = Equivalence.objects.select_for_update().get(pk=equivalence.pk)
    if locked.status != EquivalenceStatus.PROPOSED:
        raise InvalidTransition(_("Seule une équivalence proposée peut être approuvée."))
    locked.status = EquivalenceStatus.APPROVED
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    equivalence.status = locked.status
    audit_record("equivalence.approve", obj=locked, actor=by)
    return locked


@transaction.atomic
def equivalence_supersede(
    *,
    equivalence: Equivalence,
    reason: str,
    by: Any,
    replacement: Equivalence | None = None,
) -> Equivalence:
    """Take an equivalence out of the table, with a reason, pointing at the row that corrects
    it if any. The row stays (what was credited through it keeps its provenance)."""
    _require_national_admin(by)
    if not reason.strip():
        raise DomainError(_("Indiquez le motif du remplacement."), code="reason_required")
    locked = Equivalence.objects.select_for_update().get(pk=equivalence.pk)
    if locked.status == EquivalenceStatus.SUPERSEDED:
        raise InvalidTransition(_("Cette équivalence est déjà remplacée."))
    if replacement is not None and replacement.pk == locked.pk:
        raise DomainError(_("Une équivalence ne se remplace pas elle-même."), code="same")
    locked.status = EquivalenceStatus.SUPERSEDED
    locked.superseded_at = timezone.now()
    locked.superseded_by = replacement
    locked.supersede_reason = reason.strip()
    locked.save(update_fields=["status", "superseded_at", "superseded_by", "supersede_reason"])
    equivalence.status = locked.status
    audit_record(
        "equivalence.supersede",
        obj=locked,
        actor=by,
        details={
            "reason": reason.strip()[:200],
            "replacement": replacement.pk if replacement is not None else None,
        },
    )
    return locked
