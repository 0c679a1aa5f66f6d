"""The historic room's writes: importing a batch of certificates issued before the platform,
linking their holders to national persons, and the holders' claims of them."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import require_branch_staff, roles_of
from branches.models import Branch
from candidates.models import Candidate, Person
from candidates.services import (
    holder_person,
    person_absorb_on_claim,
    person_claim_record,
    persons_create_for_records,
)
from certifications.models import Referentiel, ReferentielVersion
from core.bulk import bulk_insert
from core.errors import DomainError
from core.identity import NormalisedIdentity
from core.mail import send_templated

from . import claims
from .imports import CleanRow
from .models import HistoricCertificate, historic_imported, number_key

# Wrong birth dates a holder may give after one invitation; then only a new one helps.
CLAIM_MAX_FAILURES = 5


@transaction.atomic
def historic_import(
    *, branch: Branch, rows: list[CleanRow], by: Any, filename: str = ""
) -> list[HistoricCertificate]:
    """Record every certificate of the checked rows, or none, as one batch with one audit event.

    The branch row is locked, so that two imports into one branch run one after the other and
    the numbers are checked again against what the other wrote.
    """
    require_branch_staff(by, branch.pk)
    if not rows:
        raise DomainError(_("Aucune ligne à importer."), code="empty")
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    keys = [number_key(row.number) for row in rows]
    taken = set(
        HistoricCertificate.objects.filter(branch=branch, number_key__in=keys).values_list(
            "number_key", flat=True
        )
    )
    referentiels = set(
        Referentiel.objects.filter(pk__in={r.referentiel_id for r in rows}).values_list(
            "pk", flat=True
        )
    )
    versions = set(
        ReferentielVersion.objects.filter(
            pk__in={r.version_id for r in rows if r.version_id}
        ).values_list("pk", flat=True)
    )
    stale = [
        row
        for row, key in zip(rows, keys, strict=True)
        if key in taken
        or row.referentiel_id not in referentiels
        or (row.version_id is not None and row.version_id not in versions)
    ]
    if stale or len(set(keys)) != len(keys):
        raise DomainError(
            _(
                "Le fichier ne peut plus être importé : des numéros ont été enregistrés depuis "
                "sa vérification (par exemple ligne %(line)d). Déposez-le à nouveau."
            )
            % {"line": (stale[0] if stale else rows[0]).line},
            code="stale_preview",
        )
    batch = uuid.uuid4()
    now = timezone.now()
    records = [
        HistoricCertificate(
            branch=branch,
            number=row.number,
            number_key=key,
            kind=row.kind,
            referentiel_id=row.referentiel_id,
            version_id=row.version_id,
            cqpi_title=row.cqpi_title,
            issued_on=datetime.date.fromisoformat(row.issued_on),
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=datetime.date.fromisoformat(row.birth_date),
            birth_place=row.birth_place,
            access_route=row.access_route,
            first_certification=row.first_certification,
            capacities=row.capacities,
            signatory=row.signatory,
            batch=batch,
            imported_by=by,
            imported_at=now,
            **row.identity,
        )
        for row, key in zip(rows, keys, strict=True)
    ]
    persons_created = _holders_link(branch=branch, records=records, by=by)
    bulk_insert(HistoricCertificate, records)
    # One event for the batch: who brought which file into which branch, and how many.
    audit_record(
        "historic.import",
        branch=branch,
        actor=by,
        details={
            "file": filename,
            "batch": str(batch),
            "records": len(records),
            "persons_created": persons_created,
            "first": records[0].number,
            "last": records[-1].number,
        },
    )
    transaction.on_commit(lambda: historic_imported.send(sender=HistoricCertificate))
    return records


def _holders_link(*, branch: Branch, records: list[HistoricCertificate], by: Any) -> int:
    """Point each record to a national person; returns how many persons were created.

    Rows of the batch with the same normalised identity (names, birth date and place) share
    one person. A row goes to an existing person only if that person is already tied to this
    branch — a candidate of the branch, or a historic record of the branch, points to it —
    and the identity matches exactly: a branch's import never reaches, nor reveals, another
    branch's people. Any other holder gets a new person, created by the importer. One query
    finds the branch's persons for the whole batch, one inserts the new ones, one their events.
    """
    groups: dict[NormalisedIdentity, list[HistoricCertificate]] = {}
    for record in records:
        groups.setdefault(record.identity(), []).append(record)
    keys = sorted({identity.key for identity in groups})
    known: dict[str, list[Person]] = {}
    for person in (
        Person.objects.current()
        .filter(identity_key__in=keys)
        .filter(
            Q(candidates__branch=branch)
            | Q(historic_certificates__branch=branch)
            | Q(absorbed__historic_certificates__branch=branch)
        )
        .distinct()
        .order_by("pk")
    ):
        known.setdefault(person.identity_key, []).append(person)
    new: list[NormalisedIdentity] = []
    for identity, members in groups.items():
        found = next(
            (p for p in known.get(identity.key, ()) if p.identity().matches(identity)), None
        )
        if found is None:
            new.append(identity)
            continue
        for record in members:
            record.person = found
    created = persons_create_for_records(
        identities=[
            {**groups[identity][0].person_identity, "identity_key": identity.key}
            for identity in new
        ],
        by=by,
    )
    for identity, person_id in zip(new, created, strict=True):
        for record in groups[identity]:
            record.person_id = person_id
    return len(created)


@transaction.atomic
def historic_persons_backfill(*, dry_run: bool = False) -> tuple[int, int]:
    """Link the records imported before persons were (no person yet) by the import's rule,
    batch by batch in the order they were imported, as if each batch were imported again:
    the persons created are the batch importer's. Returns (records linked, persons created);
    with `dry_run`, counts them and writes nothing. Safe to run twice: linked records are
    left alone."""
    unlinked = HistoricCertificate.objects.filter(person__isnull=True).select_related(
        "branch", "imported_by"
    )
    batches: dict[Any, list[HistoricCertificate]] = {}
    for record in unlinked.order_by("imported_at", "batch", "pk"):
        batches.setdefault(record.batch, []).append(record)
    linked = created = 0
    for records in batches.values():
        first = records[0]
        created += _holders_link(branch=first.branch, records=records, by=first.imported_by)
        HistoricCertificate.objects.bulk_update(records, ["person"], batch_size=1000)
        linked += len(records)
    if dry_run:
        transaction.set_rollback(True)
    elif linked:
        audit_record(
            "historic.persons_backfill",
            details={"records": linked, "persons_created": created},
        )
    return linked, created


# --- The holder's claim -------------------------------------------------------------------


@transaction.atomic
def historic_claim_invite(
    *, record: HistoricCertificate, email: str, by: Any
) -> HistoricCertificate:
    """The branch's CPNE invites the holder to claim the record: a signed link, valid
    `HISTORIC_CLAIM_TIMEOUT`, mailed to `email` on commit. A new invitation replaces the
    previous one (its link stops working) and gives the holder their tries again."""
    require_branch_staff(by, record.branch_id)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Saisissez une adresse e-mail valide."), code="invalid_email") from exc
    record = (
        HistoricCertificate.objects.select_for_update().select_related("branch").get(pk=record.pk)
    )
    if record.claimed_at is not None:
        raise DomainError(
            _("Ce certificat a déjà été revendiqué par son titulaire."), code="already_claimed"
        )
    record.claim_email = email
    record.claim_invited_at = timezone.now()
    record.claim_invited_by = by
    record.claim_failures = 0
    record.save(
        update_fields=["claim_email", "claim_invited_at", "claim_invited_by", "claim_failures"]
    )
    # The number stands for the record; the address stays on it, not in the trail.
    audit_record(
        "historic.claim_invite", obj=record, branch=record.branch_id, actor=by, label=record.number
    )
    context = {
        "record": record,
        "url": claims.claim_url(record),
        "days": settings.HISTORIC_CLAIM_TIMEOUT // 86400,
    }
    transaction.on_commit(
        lambda: send_templated(
            to=[email],
            subject=_("Revendiquez votre certificat CQPI n° %(number)s")
            % {"number": record.number},
            template="historic_claim_invitation",
            context=context,
        )
    )
    return record


class BirthDateRefused(DomainError):
    """The birth date given is not the record's: counted, audited, refused."""


def historic_claim(
    *, record: HistoricCertificate, user: Any, birth_date: datetime.date
) -> HistoricCertificate:
    """The invited holder, signed in with their candidate account, claims the record by
    giving its holder's birth date: the record then belongs to their national person.

    If the record's person is another one tied to nothing else (the person its import
    created), that person is merged into the holder's; otherwise the record alone moves to
    the holder's person. Either way the holder's own act is their consent, recorded on the
    person. A wrong birth date is refused, counted on the record and audited (after
    `CLAIM_MAX_FAILURES`, only a new invitation lets them try again)."""
    try:
        with transaction.atomic():
            return _claim(record=record, user=user, birth_date=birth_date)
    except BirthDateRefused:
        pass
    # Outside the rolled-back block: the refusal itself is kept, counted and audited.
    _claim_refused(record=record, user=user)
    raise BirthDateRefused(
        _("La date de naissance ne correspond pas à celle du titulaire de ce certificat."),
        code="birth_date_mismatch",
    )


def claim_open(record: HistoricCertificate, *, now: datetime.datetime | None = None) -> bool:
    """Whether the record's invitation can still be used."""
    now = now or timezone.now()
    return (
        record.claimed_at is None
        and record.claim_invited_at is not None
        and now - record.claim_invited_at
        <= datetime.timedelta(seconds=settings.HISTORIC_CLAIM_TIMEOUT)
        and record.claim_failures < CLAIM_MAX_FAILURES
    )


def _claim(
    *, record: HistoricCertificate, user: Any, birth_date: datetime.date
) -> HistoricCertificate:
    if not roles_of(user).is_candidate:
        raise PermissionDenied
    record = (
        HistoricCertificate.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=record.pk)
    )
    if record.claimed_at is not None:
        raise DomainError(
            _("Ce certificat a déjà été revendiqué par son titulaire."), code="already_claimed"
        )
    if record.claim_failures >= CLAIM_MAX_FAILURES:
        raise DomainError(
            _("Trop d'essais refusés : demandez à la CPNE de la branche une nouvelle invitation."),
            code="too_many_failures",
        )
    if not claim_open(record):
        raise DomainError(
            _("Cette invitation a expiré : demandez-en une nouvelle à la CPNE de la branche."),
            code="invitation_expired",
        )
    if birth_date != record.birth_date:
        raise BirthDateRefused(_("Date de naissance refusée."), code="birth_date_mismatch")
    person = holder_person(user)
    if person is None:
        raise DomainError(
            _(
                "Votre compte n'est rattaché à aucune fiche de personne : contactez la CPNE de "
                "la branche."
            ),
            code="no_person",
        )
    if person.birth_date != record.birth_date:
        # The account's own identity names someone else: no link the CPNE has not looked at.
        raise DomainError(
            _(
                "La date de naissance enregistrée pour votre compte diffère de celle du "
                "certificat : contactez la CPNE de la branche."
            ),
            code="person_mismatch",
        )
    previous = record.person
    current = previous
    if previous is not None and previous.merged_into_id is not None:
        current = Person.objects.get(pk=previous.merged_into_id)
    merged = False
    if (
        current is not None
        and current.pk != person.pk
        and not _tied_elsewhere(current, record=record)
    ):
        person_absorb_on_claim(
            keep=person,
            absorb=current,
            by=user,
            reason=_("Certificat antérieur n° %(number)s revendiqué par son titulaire.")
            % {"number": record.number},
        )
        merged = True
    person_claim_record(
        person=person,
        by=user,
        other_person=current if current is not None and current.pk != person.pk else None,
        comment=_("Certificat antérieur n° %(number)s revendiqué par son titulaire.")
        % {"number": record.number},
    )
    record.person = person
    record.claimed_at = timezone.now()
    record.claimed_by = user
    record.save(update_fields=["person", "claimed_at", "claimed_by"])
    audit_record(
        "historic.claim",
        obj=record,
        branch=record.branch_id,
        actor=user,
        label=record.number,
        details={
            "person": person.pk,
            "previous_person": current.pk if current is not None else None,
            "merged": merged,
        },
    )
    return record


def _tied_elsewhere(person: Person, *, record: HistoricCertificate) -> bool:
    """Whether anything but this record points to the person: a candidate, another historic
    record, a person merged into it. Such a person is not merged away by a holder's claim."""
    return (
        Candidate.objects.filter(person=person).exists()
        or Person.objects.filter(merged_into=person).exists()
        or HistoricCertificate.objects.filter(person=person).exclude(pk=record.pk).exists()
    )


@transaction.atomic
def _claim_refused(*, record: HistoricCertificate, user: Any) -> None:
    record = HistoricCertificate.objects.select_for_update().get(pk=record.pk)
    record.claim_failures += 1
    record.save(update_fields=["claim_failures"])
    audit_record(
        "historic.claim_refused",
        obj=record,
        branch=record.branch_id,
        actor=user,
        label=record.number,
        details={"failures": record.claim_failures},
    )
