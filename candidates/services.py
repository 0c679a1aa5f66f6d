"""The dossier state machine and candidate registration: the only code that writes them.

Each transition locks the dossier row, refuses a starting state that the workflow table
(`workflow.py`) does not allow for the dossier's route with `InvalidTransition`, changes the
status and writes a history row, in one transaction. Transitions the table marks "system",
driven by another room's service (scheduling on a jury, recording an outcome, readiness
after evaluation), trust that service's permission check.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import require_branch_staff, roles_of
from branches.models import Branch, Company
from branches.services import counter_next
from certifications.equivalences import credits_for
from certifications.models import (
    Certificate,
    CertificateStatus,
    ReferentielStatus,
    ReferentielVersion,
    VersionStatus,
)
from core.bulk import bulk_insert_rows
from core.errors import DomainError, InvalidTransition
from core.identity import normalised_identity
from core.reminders import reminder_claim
from core.text import MESSAGE as TEXT_MESSAGE
from core.text import format_characters

from . import identity, workflow
from .evidence import CANDIDATE_UPLOAD_STATUSES
from .models import (
    STATEMENT_MAX_LENGTH,
    AccessRoute,
    Candidate,
    CreditedCapacity,
    CreditSource,
    Dossier,
    DossierHistory,
    DossierStatus,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceStatement,
    Person,
    PersonAction,
    PersonEvent,
)

S = DossierStatus


def _lock(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().get(pk=dossier.pk)


def _authorise(name: str, *, dossier: Dossier, by: Any) -> None:
    """Who may take the step, as the workflow table says; a step another room drives
    ("system") was checked by that room's service."""
    step = workflow.transition(name)
    if step.system:
        return
    if step.by is not workflow.Party.CPNE:
        # No other party acts through this room's services.
        raise PermissionDenied
    require_branch_staff(by, dossier.branch_id)


def _transition(
    dossier: Dossier,
    *,
    name: str,
    to: str,
    by: Any,
    comment: str = "",
) -> Dossier:
    """Take transition `name` of the workflow table to `to`, from one of the states the table
    allows for the dossier's route."""
    step = workflow.transition(name)
    if to not in step.targets:
        raise ValueError(f"{name} does not lead to {to}")
    locked = _lock(dossier)
    if locked.status not in step.allowed_from(workflow.route(locked.access_route)):
        raise InvalidTransition(
            _("Le dossier %(ref)s est « %(status)s » : passage à « %(target)s » impossible.")
            % {
                "ref": locked.reference,
                "status": locked.get_status_display(),
                "target": S(to).label,
            }
        )
    previous = locked.status
    locked.status = to
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    DossierHistory.objects.create(
        dossier=locked, from_status=previous, to_status=to, by=by, comment=comment
    )
    audit_record(
        "dossier.transition",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"from": previous, "to": to},
    )
    # Keep the caller's instance in step with the row.
    dossier.status = locked.status
    dossier.status_changed_at = locked.status_changed_at
    return locked


def dossier_reference(*, branch: Branch, year: int, number: int) -> str:
    """The dossier number as people read it: branch prefix, year, sequence."""
    return f"{branch.prefix}-{year}-{number:06d}"


@transaction.atomic
def candidate_create(
    *,
    branch_id: int,
    last_name: str,
    first_name: str,
    birth_date: datetime.date,
    birth_place: str,
    email: str = "",
    usage_name: str = "",
    first_name_2: str = "",
    first_name_3: str = "",
    sex: str = "",
    birth_insee_code: str = "",
    birth_postal_code: str = "",
    birth_country_code: str = "",
    birth_country_label: str = "",
    person: Person | None = None,
    consent_at: datetime.datetime | None = None,
    by: Any,
) -> Candidate:
    """Register a candidate. The identity fields of the CDC declaration may be left empty
    (the candidate is then "à compléter"), never wrong (`candidates/identity.py`).

    The candidate points to a national `Person`: a new one, or `person` — a match the staff
    were shown (`selectors.person_matches`) and confirmed — only if its identity matches
    exactly and the person's consent is recorded (`consent_at`, when it was given)."""
    require_branch_staff(by, branch_id)
    last_name, first_name = last_name.strip(), first_name.strip()
    extra = _checked_identity(
        {
            "usage_name": usage_name,
            "first_name_2": first_name_2,
            "first_name_3": first_name_3,
            "sex": sex,
            "birth_insee_code": birth_insee_code,
            "birth_postal_code": birth_postal_code,
            "birth_country_code": birth_country_code,
            "birth_country_label": birth_country_label,
        }
    )
    if birth_date >= timezone.localdate():
        raise DomainError(_("La date de naissance doit être dans le passé."), code="invalid_date")
    if Candidate.objects.filter(
        branch_id=branch_id,
        last_name__iexact=last_name,
        first_name__iexact=first_name,
        birth_date=birth_date,
    ).exists():
        raise DomainError(
            _("Ce candidat existe déjà dans la branche (même nom, prénom et date de naissance)."),
            code="duplicate_candidate",
        )
    candidate = Candidate.objects.create(
        branch_id=branch_id,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        birth_place=birth_place.strip(),
        email=email.strip(),
        **extra,
    )
    # The row's id is enough: the trail does not copy a candidate's identity.
    audit_record(
        "candidate.create", obj=candidate, branch=branch_id, actor=by, label=f"#{candidate.pk}"
    )
    if person is None:
        _person_create(candidate, by=by)
    else:
        _person_link(candidate, person=person, consent_at=consent_at, by=by)
    return candidate


_PERSON_FIELDS = (
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


def person_unsaved(candidate: Candidate) -> Person:
    """A new national record with the candidate's identity, not saved yet (for bulk
    inserts, which skip `Person.save`: its `identity_key` is set here)."""
    person = Person(**{name: getattr(candidate, name) for name in _PERSON_FIELDS})
    person.identity_key = person.identity().key
    return person


def _person_create(candidate: Candidate, *, by: Any) -> Person:
    """A new national record with the candidate's identity, the candidate pointing to it."""
    person = Person.objects.create(**{name: getattr(candidate, name) for name in _PERSON_FIELDS})
    candidate.person = person
    candidate.save(update_fields=["person"])
    PersonEvent.objects.create(
        person=person, action=PersonAction.CREATED, candidate=candidate, by=by
    )
    return person


def _person_link(
    candidate: Candidate, *, person: Person, consent_at: datetime.datetime | None, by: Any
) -> Person:
    """Point the new candidate to an existing person: only on an exact identity match the
    staff confirmed, and with the person's consent recorded."""
    if consent_at is None:
        raise DomainError(
            _(
                "Le rattachement à une personne déjà enregistrée suppose son consentement : "
                "indiquez qu'il a été recueilli."
            ),
            code="consent_required",
        )
    if consent_at > timezone.now():
        raise DomainError(
            _("Le consentement ne peut être daté dans le futur."), code="invalid_consent_date"
        )
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.merged_into_id is not None or not locked.identity().matches(candidate.identity()):
        # Never a link to a person the identity typed does not name exactly.
        raise DomainError(
            _("Cette personne ne correspond pas exactement à l'identité saisie."),
            code="person_mismatch",
        )
    candidate.person = locked
    candidate.save(update_fields=["person"])
    PersonEvent.objects.create(
        person=locked,
        action=PersonAction.LINKED,
        candidate=candidate,
        by=by,
        consent_at=consent_at,
    )
    audit_record(
        "person.link",
        obj=candidate,
        branch=candidate.branch_id,
        actor=by,
        label=f"#{candidate.pk}",
        details={"person": locked.pk, "consent_at": consent_at.isoformat()},
    )
    return locked


@transaction.atomic
def person_merge(*, keep: Person, absorb: Person, reason: str, by: Any) -> Person:
    """A national administrator merges a duplicate (`absorb`) into `keep`: its candidates
    (and the persons merged into it before) point to `keep`, empty fields of `keep` are
    filled from it, and it stays, marked merged, with its history. Nothing is deleted."""
    if not roles_of(by).is_national_admin:
        raise PermissionDenied
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de la fusion."), code="reason_required")
    if keep.pk == absorb.pk:
        raise DomainError(_("Une personne ne peut être fusionnée avec elle-même."), code="same")
    kept = _merge(keep=keep, absorb=absorb, reason=reason.strip(), by=by, action="person.merge")
    keep.refresh_from_db()
    absorb.refresh_from_db()
    return kept


def _merge(*, keep: Person, absorb: Person, reason: str, by: Any, action: str) -> Person:
    """Lock both persons (in key order), point `absorb`'s candidates and former duplicates to
    `keep`, fill `keep`'s empty fields, mark `absorb` merged; history and one audit event."""
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[keep.pk, absorb.pk])
        .order_by("pk")
    }
    kept, absorbed = locked[keep.pk], locked[absorb.pk]
    if kept.merged_into_id is not None or absorbed.merged_into_id is not None:
        raise InvalidTransition(_("L'une de ces personnes a déjà été fusionnée."))
    moved = list(Candidate.objects.filter(person=absorbed).values_list("pk", flat=True))
    Candidate.objects.filter(pk__in=moved).update(person=kept)
    Person.objects.filter(merged_into=absorbed).update(merged_into=kept)
    filled = [
        name
        for name in (*_PERSON_FIELDS, "phone")
        if not getattr(kept, name) and getattr(absorbed, name)
    ]
    for name in filled:
        setattr(kept, name, getattr(absorbed, name))
    if filled:
        kept.save(update_fields=filled)
    absorbed.merged_into = kept
    absorbed.merged_at = timezone.now()
    absorbed.save(update_fields=["merged_into", "merged_at"])
    PersonEvent.objects.create(
        person=absorbed,
        action=PersonAction.MERGED_AWAY,
        other_person=kept,
        by=by,
        comment=reason,
    )
    PersonEvent.objects.create(
        person=kept,
        action=PersonAction.ABSORBED,
        other_person=absorbed,
        by=by,
        comment=reason,
    )
    audit_record(
        action,
        obj=kept,
        actor=by,
        label=kept.national_number,
        details={
            "absorbed": absorbed.pk,
            "candidates": moved,
            "filled": filled,
            "reason": reason[:200],
        },
    )
    return kept


# --- Persons of the documents issued before the platform (#18, item 6) -------------------------


def persons_create_for_records(*, identities: list[dict[str, Any]], by: Any) -> list[int]:
    """New national records for the holders of imported historic certificates, in bulk (a
    branch's register holds thousands): one person per identity given (the identity fields
    of `_PERSON_FIELDS` but the email, and `identity_key` as `Person.save` computes it), each
    with its CREATED event by the importer; returns their ids, in order. The caller
    (`historic.services.historic_import`) has checked the importer's right on the branch
    and decided which holders are new."""
    now = timezone.now()
    columns = [name for name in _PERSON_FIELDS if name != "email"]
    person_ids = bulk_insert_rows(
        Person,
        [*columns, "identity_key", "email", "phone", "created_at"],
        [
            (*(values.get(name, "") for name in columns), values["identity_key"], "", "", now)
            for values in identities
        ],
    )
    comment = _("Titulaire d'un certificat antérieur à la plateforme, importé.")
    bulk_insert_rows(
        PersonEvent,
        ["person_id", "action", "by_id", "at", "comment"],
        [(pk, PersonAction.CREATED.value, by.pk, now, comment) for pk in person_ids],
    )
    return person_ids


def holder_person(user: Any) -> Person | None:
    """The national person of the signed-in candidate: the person their newest candidate
    profile points to (a holder with profiles in several branches was linked to one person
    when the branches found them, or the national administrator merged the duplicates)."""
    return (
        Person.objects.current()
        .filter(candidates__user_id=user.pk)
        .order_by("-candidates__pk")
        .first()
    )


def person_claim_record(
    *, person: Person, by: Any, comment: str, other_person: Person | None = None
) -> PersonEvent:
    """The holder claimed a document of theirs for this person: their own act, so their
    consent, dated now. `other_person` is the person the document pointed to before."""
    now = timezone.now()
    return PersonEvent.objects.create(
        person=person,
        action=PersonAction.CLAIMED,
        other_person=other_person,
        by=by,
        consent_at=now,
        comment=comment,
    )


def person_absorb_on_claim(*, keep: Person, absorb: Person, by: Any, reason: str) -> Person:
    """A holder's claim merges the person a document was imported for (`absorb`, tied to
    nothing else: the caller checked it) into the holder's own person (`keep`). Only the
    holder may: `by` must be a candidate account whose profile points to `keep`. Same
    history and audit as a national administrator's merge."""
    if by.pk is None or not Candidate.objects.filter(user_id=by.pk, person=keep).exists():
        raise PermissionDenied
    if keep.pk == absorb.pk:
        raise DomainError(_("Une personne ne peut être fusionnée avec elle-même."), code="same")
    return _merge(keep=keep, absorb=absorb, reason=reason, by=by, action="person.claim_merge")


def _checked_identity(values: dict[str, Any]) -> dict[str, Any]:
    """The identity fields normalised, or a DomainError naming every problem."""
    values = identity.normalise(values)
    errors = identity.identity_errors(values)
    if errors:
        raise DomainError(
            " ".join(message for messages in errors.values() for message in messages),
            code="invalid_identity",
        )
    return values


@transaction.atomic
def candidate_identity_update(
    *, candidate: Candidate, by: Any, changes: dict[str, Any]
) -> Candidate:
    """Staff correct a candidate's identity (civil status and the fields of the CDC
    declaration). The audit trail names the fields changed, not their values.

    The national person follows as a national registry would have it:

    - a person known through this candidate only is this branch's record of them: the
      correction is carried to it (its identity fields and `identity_key`), with a
      `PersonEvent` "identity_corrected" naming the fields;
    - a person shared by several candidates (linked across branches, with consent) is not
      one branch's to rewrite: other branches' records, documents and matches rest on it,
      and a correction seen by one branch only may be that branch's typing error. The
      person is left as it is; a `PersonEvent` "identity_differs" and the audit details
      (`person_updated: false`, `person_matches`: whether the candidate still names the
      person exactly) record the divergence, for a national administrator to settle (merge,
      or correct through each branch). No silent change either way.
    """
    require_branch_staff(by, candidate.branch_id)
    unknown = set(changes) - set(identity.IDENTITY_FIELDS)
    if unknown:
        raise ValueError(f"not an identity field: {sorted(unknown)}")
    locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
    # Checked whole: a new country is checked against the commune code kept, and so on.
    values = _checked_identity(
        {name: getattr(locked, name) for name in identity.IDENTITY_FIELDS} | changes
    )
    for name in ("last_name", "first_name", "birth_place"):
        if name in values and not values[name]:
            raise DomainError(
                _("%(field)s est obligatoire.")
                % {"field": identity.field_label(name).capitalize()},
                code="invalid_identity",
            )
    birth_date = values.get("birth_date")
    if birth_date is not None and birth_date >= timezone.localdate():
        raise DomainError(_("La date de naissance doit être dans le passé."), code="invalid_date")
    changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, values[name])
    if {"last_name", "first_name", "birth_date"} & set(changed) and Candidate.objects.filter(
        branch_id=locked.branch_id,
        last_name__iexact=locked.last_name,
        first_name__iexact=locked.first_name,
        birth_date=locked.birth_date,
    ).exclude(pk=locked.pk).exists():
        raise DomainError(
            _("Ce candidat existe déjà dans la branche (même nom, prénom et date de naissance)."),
            code="duplicate_candidate",
        )
    locked.save(update_fields=changed)
    details: dict[str, Any] = {"fields": changed}
    details.update(_person_follow(locked, changed=changed, by=by))
    audit_record(
        "candidate.identity_updated",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        label=f"#{locked.pk}",
        details=details,
    )
    return locked


def _person_follow(candidate: Candidate, *, changed: list[str], by: Any) -> dict[str, Any]:
    """Carry a candidate's identity correction to its person, or record that it was not
    (see `candidate_identity_update`); returns what the audit event adds."""
    fields = [name for name in changed if name in _PERSON_FIELDS]
    if not fields or candidate.person_id is None:
        return {}  # sex, postal code: the person does not hold them
    person = Person.objects.select_for_update().get(pk=candidate.person_id)
    shared = Candidate.objects.filter(person=person).exclude(pk=candidate.pk).exists()
    if not shared and person.merged_into_id is None:
        for name in fields:
            setattr(person, name, getattr(candidate, name))
        person.save(update_fields=fields)  # identity_key with them (Person.save)
        PersonEvent.objects.create(
            person=person,
            action=PersonAction.IDENTITY_CORRECTED,
            candidate=candidate,
            by=by,
            comment=", ".join(fields),
        )
        return {"person": person.pk, "person_updated": True}
    PersonEvent.objects.create(
        person=person,
        action=PersonAction.IDENTITY_DIFFERS,
        candidate=candidate,
        by=by,
        comment=", ".join(fields),
    )
    return {
        "person": person.pk,
        "person_updated": False,
        "person_matches": person.identity().matches(candidate.identity()),
    }


@transaction.atomic
def dossier_open(
    *,
    candidate: Candidate,
    version: ReferentielVersion,
    access_route: str,
    by: Any,
    company: Company | None = None,
    first_certification: bool = False,
    opened_on: datetime.date | None = None,
) -> Dossier:
    """Open a dossier for a candidate of the branch, on the version of the CQPI now in force."""
    branch = candidate.branch
    require_branch_staff(by, branch.pk)
    referentiel = version.referentiel
    if referentiel.status != ReferentielStatus.VALIDATED:
        raise DomainError(
            _("Le CQPI « %(title)s » n'est pas validé.") % {"title": referentiel.title},
            code="referentiel_not_validated",
        )
    if version.status != VersionStatus.IN_FORCE:
        raise DomainError(
            _("Seule la version en vigueur d'un référentiel peut ouvrir un dossier."),
            code="version_not_in_force",
        )
    if not referentiel.adoptions.filter(branch=branch).exists():
        raise DomainError(
            _("La branche %(branch)s n'a pas adopté le CQPI « %(title)s ».")
            % {"branch": branch.name, "title": referentiel.title},
            code="not_adopted",
        )
    if company is not None and company.branch_id != branch.pk:
        raise DomainError(
            _("L'entreprise doit relever de la branche du dossier."), code="company_branch"
        )
    if access_route not in workflow.ROUTES:
        raise DomainError(_("Voie d'accès inconnue."), code="invalid_access_route")
    opened_on = opened_on or timezone.localdate()
    number = counter_next(branch=branch, kind="dossier", year=opened_on.year)
    dossier = Dossier.objects.create(
        reference=dossier_reference(branch=branch, year=opened_on.year, number=number),
        candidate=candidate,
        branch=branch,
        company=company,
        version=version,
        access_route=access_route,
        first_certification=first_certification,
        status=S.OPEN,
        opened_on=opened_on,
        status_changed_at=timezone.now(),
        created_by=by,
    )
    DossierHistory.objects.create(dossier=dossier, from_status="", to_status=S.OPEN, by=by)
    audit_record(
        "dossier.open",
        obj=dossier,
        branch=branch.pk,
        actor=by,
        details={"access_route": access_route},
    )
    if _awaits_invitation(candidate):
        # The candidate is told by email of each step of their dossier, with a link to their
        # space: they get the key to it now, not after the first email that points there.
        _invite(candidate, by=by)
    return dossier


def _awaits_invitation(candidate: Candidate) -> bool:
    """An email is known and no account opens with a password yet (none, or never activated).
    An address that already belongs to an account in use (or closed) is left to the staff."""
    from accounts.models import User

    email = candidate.email.strip()
    if not email:
        return False
    user = candidate.user or User.objects.filter(email__iexact=email).first()
    return user is None or (user.is_active and not user.has_usable_password())


@transaction.atomic
def dossier_rule_admissibility(
    *, dossier: Dossier, admissible: bool, by: Any, comment: str = ""
) -> Dossier:
    """Recevabilité of a dossier whose route needs it (VAE)."""
    _authorise("admissibility", dossier=dossier, by=by)
    if not workflow.route(dossier.access_route).needs_admissibility:
        raise DomainError(
            _("Seuls les dossiers de VAE passent par la recevabilité."), code="not_vae"
        )
    if not admissible and not comment.strip():
        raise DomainError(_("Indiquez le motif de non-recevabilité."), code="reason_required")
    target = S.ADMISSIBLE if admissible else S.INADMISSIBLE
    return _transition(dossier, name="admissibility", to=target, by=by, comment=comment)


@transaction.atomic
def dossier_start_positioning(*, dossier: Dossier, by: Any, comment: str = "") -> Dossier:
    _authorise("start_positioning", dossier=dossier, by=by)
    return _transition(dossier, name="start_positioning", to=S.POSITIONING, by=by, comment=comment)


@transaction.atomic
def dossier_start_evaluation(*, dossier: Dossier, by: Any, comment: str = "") -> Dossier:
    """Positionnement done (or not needed): the final evaluation may be assigned."""
    _authorise("start_evaluation", dossier=dossier, by=by)
    return _transition(dossier, name="start_evaluation", to=S.EVALUATION, by=by, comment=comment)


@transaction.atomic
def dossier_mark_ready_for_jury(*, dossier: Dossier, by: Any, comment: str = "") -> Dossier:
    """Called by the evaluation service once every sheet of the final evaluation is submitted."""
    return _transition(
        dossier, name="mark_ready_for_jury", to=S.READY_FOR_JURY, by=by, comment=comment
    )


@transaction.atomic
def dossier_schedule(*, dossier: Dossier, by: Any, comment: str = "") -> Dossier:
    """Called by the jury-session service when the dossier joins a session's agenda."""
    return _transition(dossier, name="schedule", to=S.SCHEDULED, by=by, comment=comment)


@transaction.atomic
def dossier_unschedule(*, dossier: Dossier, by: Any, comment: str = "") -> Dossier:
    return _transition(dossier, name="unschedule", to=S.READY_FOR_JURY, by=by, comment=comment)


@transaction.atomic
def dossier_record_outcome(*, dossier: Dossier, status: str, by: Any, comment: str = "") -> Dossier:
    """Called by the decision service: the jury's outcome moves the dossier to its final state."""
    if status not in workflow.transition("record_outcome").targets:
        raise DomainError(_("Issue de jury inconnue."), code="invalid_outcome")
    return _transition(dossier, name="record_outcome", to=status, by=by, comment=comment)


@transaction.atomic
def dossier_withdraw(*, dossier: Dossier, by: Any, comment: str) -> Dossier:
    _authorise("withdraw", dossier=dossier, by=by)
    if not comment.strip():
        raise DomainError(_("Indiquez le motif de l'abandon."), code="reason_required")
    return _transition(dossier, name="withdraw", to=S.WITHDRAWN, by=by, comment=comment)


@transaction.atomic
def candidate_invite_if_awaited(*, candidate: Candidate, by: Any) -> bool:
    """Before an email that points to the candidate's space: the invitation goes out with it
    when an address is known and no account opens yet (an import without email, an address
    added later). Returns whether an invitation was sent."""
    if not _awaits_invitation(candidate):
        return False
    _invite(candidate, by=by)
    return True


@transaction.atomic
def candidate_invite(*, candidate: Candidate, by: Any) -> Any:
    """Give the candidate an account (or link the one their email already has) and mail them a
    one-time activation link, on commit. Returns the account."""
    require_branch_staff(by, candidate.branch_id)
    return _invite(candidate, by=by)


def _invite(candidate: Candidate, *, by: Any) -> Any:
    from accounts.models import User
    from accounts.services import invitation_send

    candidate = Candidate.objects.select_for_update().select_related("branch").get(pk=candidate.pk)
    email = candidate.email.strip()
    if not email:
        raise DomainError(
            _("Renseignez d'abord l'adresse e-mail du candidat."), code="email_required"
        )
    user = candidate.user or User.objects.filter(email__iexact=email).first()
    if user is None:
        # No password yet: the account opens only through the activation link.
        user = User.objects.create_user(
            email=email,
            password=None,
            first_name=candidate.first_name,
            last_name=candidate.last_name,
        )
    elif not user.is_active:
        raise DomainError(
            _(
                "Le compte lié à cette adresse est désactivé : contactez l'administration nationale."
            ),
            code="account_inactive",
        )
    elif candidate.user_id == user.pk and user.has_usable_password():
        raise DomainError(
            _("Ce candidat a déjà activé son compte : il se connecte avec son mot de passe."),
            code="already_active",
        )
    linked = candidate.user_id != user.pk
    if linked:
        candidate.user = user
        candidate.save(update_fields=["user"])
    audit_record(
        "candidate.invite",
        obj=candidate,
        branch=candidate.branch_id,
        actor=by,
        details={"account_linked": linked},
    )
    invitation_send(user=user, full_name=candidate.full_name, branch_name=candidate.branch.name)
    return user


# --- The candidate's dossier of evidence (VAE) ------------------------------------------------


def evidence_dossier_open_to(dossier: Dossier) -> bool:
    """Whether the dossier's candidate builds a dossier of evidence: the VAE route, and any
    route in a branch that opens it to all its candidates."""
    if dossier.access_route == AccessRoute.VAE:
        return True
    return Branch.objects.filter(
        pk=dossier.branch_id, evidence_dossier_for_all_routes=True
    ).exists()


def _candidate_evidence_dossier(dossier: Dossier, *, by: Any) -> EvidenceDossier:
    """The dossier's evidence dossier, locked (created on first use), for its candidate
    while they may still write it; PermissionDenied for anyone else."""
    locked = _lock(dossier)
    if by is None or locked.candidate.user_id != getattr(by, "pk", None):
        raise PermissionDenied
    if not evidence_dossier_open_to(locked):
        raise PermissionDenied
    if locked.status not in CANDIDATE_UPLOAD_STATUSES:
        raise DomainError(
            _("À ce stade du dossier (« %(status)s »), le dossier de preuves est clos.")
            % {"status": locked.get_status_display()},
            code="evidence_closed",
        )
    evidence_dossier, _created = EvidenceDossier.objects.select_for_update().get_or_create(
        dossier=locked
    )
    if not evidence_dossier.editable:
        raise DomainError(
            _("Votre dossier de preuves est transmis : il ne peut plus être modifié."),
            code="evidence_dossier_submitted",
        )
    return evidence_dossier


def evidence_statement_save(
    *, dossier: Dossier, capacity: Any, text: str, by: Any
) -> EvidenceStatement:
    """The candidate writes (or rewrites) the description of one capacity; a draft until
    they submit the whole dossier."""
    text = text.replace("\r\n", "\n")
    if len(text) > STATEMENT_MAX_LENGTH:
        raise DomainError(
            _("La description dépasse %(max)s caractères.") % {"max": STATEMENT_MAX_LENGTH},
            code="statement_too_long",
        )
    if codes := format_characters(text):
        raise DomainError(str(TEXT_MESSAGE % {"codes": ", ".join(codes)}), code="format_character")
    with transaction.atomic():
        evidence_dossier = _candidate_evidence_dossier(dossier, by=by)
        if capacity.bloc.version_id != dossier.version_id:
            raise DomainError(
                _("Cette capacité n'appartient pas au référentiel du dossier."),
                code="invalid_capacity",
            )
        statement, _created = EvidenceStatement.objects.update_or_create(
            evidence_dossier=evidence_dossier, capacity=capacity, defaults={"text": text}
        )
        evidence_dossier.save(update_fields=["updated_at"])
    return statement


def evidence_dossier_submit(*, dossier: Dossier, by: Any) -> EvidenceDossier:
    """The candidate submits their dossier of evidence for recevabilité: it is then read-only
    for them until staff return it."""
    with transaction.atomic():
        evidence_dossier = _candidate_evidence_dossier(dossier, by=by)
        described = evidence_dossier.statements.exclude(text="").count()
        if described == 0:
            raise DomainError(
                _("Décrivez vos activités pour au moins une capacité avant de transmettre."),
                code="evidence_dossier_empty",
            )
        evidence_dossier.status = EvidenceDossierStatus.SUBMITTED
        evidence_dossier.submitted_at = timezone.now()
        evidence_dossier.save(update_fields=["status", "submitted_at", "updated_at"])
        audit_record(
            "evidence_dossier.submit",
            obj=dossier,
            branch=dossier.branch_id,
            actor=by,
            label=dossier.reference,
            details={"described_capacities": described},
        )
    return evidence_dossier


def evidence_dossier_return(*, dossier: Dossier, comment: str, by: Any) -> EvidenceDossier:
    """Branch staff return a submitted dossier of evidence to its candidate, saying what to
    change; the candidate may write again."""
    require_branch_staff(by, dossier.branch_id)
    comment = comment.replace("\r\n", "\n").strip()
    if not comment:
        raise DomainError(
            _("Indiquez au candidat ce qu'il doit compléter ou modifier."),
            code="comment_required",
        )
    if codes := format_characters(comment):
        raise DomainError(str(TEXT_MESSAGE % {"codes": ", ".join(codes)}), code="format_character")
    with transaction.atomic():
        locked = _lock(dossier)
        evidence_dossier = (
            EvidenceDossier.objects.select_for_update().filter(dossier=locked).first()
        )
        if evidence_dossier is None or evidence_dossier.status != EvidenceDossierStatus.SUBMITTED:
            raise InvalidTransition(
                _("Le dossier de preuves n'est pas transmis : il ne peut pas être renvoyé.")
            )
        evidence_dossier.status = EvidenceDossierStatus.RETURNED
        evidence_dossier.returned_at = timezone.now()
        evidence_dossier.return_comment = comment
        evidence_dossier.save(
            update_fields=["status", "returned_at", "return_comment", "updated_at"]
        )
        audit_record(
            "evidence_dossier.return",
            obj=locked,
            branch=locked.branch_id,
            actor=by,
            label=locked.reference,
            details={"comment": comment},
        )
    return evidence_dossier


# --- Reminders: dossiers waiting on the CPNE, dossiers of evidence not submitted --------------


def _delay_passed(dossier: Dossier, since: datetime.datetime, now: datetime.datetime) -> bool:
    return now - since >= datetime.timedelta(days=dossier.branch.reminder_delay_days)


@transaction.atomic
def staff_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind each branch's staff of the dossiers waiting on them (the workflow table's CPNE
    steps, as the dashboard counts them) for longer than the branch's `reminder_delay_days`:
    one email per branch listing the dossiers newly overdue; each dossier once per wait (the
    key names its status and when it entered it, so a dossier that moves on and waits again is
    reminded again). Returns how many dossiers were reminded."""
    from .dashboard import may_start
    from .tasks import enqueue_staff_reminder

    now = now or timezone.now()
    waiting = Q()
    for step in workflow.staff_todo():
        waiting |= may_start(step)
    # The widest delay a branch may set bounds the scan; each branch's own is checked below.
    candidates_for_reminder = (
        Dossier.objects.filter(waiting, status_changed_at__lte=now - datetime.timedelta(days=1))
        .select_related("branch")
        .order_by("branch_id", "pk")
    )
    by_branch: dict[int, list[int]] = {}
    for dossier in candidates_for_reminder:
        if not _delay_passed(dossier, dossier.status_changed_at, now):
            continue
        key = (
            f"dossier-waiting:{dossier.pk}:{dossier.status}:{dossier.status_changed_at.isoformat()}"
        )
        if reminder_claim(key, now=now):
            by_branch.setdefault(dossier.branch_id, []).append(dossier.pk)
    for branch_id, dossier_ids in by_branch.items():
        enqueue_staff_reminder(branch_id, dossier_ids)
        audit_record(
            "dossier.remind_staff",
            branch=branch_id,
            details={"dossiers": dossier_ids},
        )
    return sum(len(ids) for ids in by_branch.values())


@transaction.atomic
def evidence_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind the candidate of a dossier of evidence they have not submitted, once the branch's
    `reminder_delay_days` have passed since the dossier opened (or since staff returned it to
    them): once for the first submission, once again after each return. Only while they may
    still write it (the statuses of CANDIDATE_UPLOAD_STATUSES) and only where the dossier of
    evidence is theirs to build (VAE, or every route where the branch opens it)."""
    from .tasks import enqueue_evidence_reminder

    now = now or timezone.now()
    dossiers = (
        Dossier.objects.filter(status__in=sorted(CANDIDATE_UPLOAD_STATUSES))
        .filter(Q(access_route=AccessRoute.VAE) | Q(branch__evidence_dossier_for_all_routes=True))
        .exclude(evidence_dossier__status=EvidenceDossierStatus.SUBMITTED)
        .filter(candidate__user__isnull=False)
        .select_related("branch", "evidence_dossier")
        .order_by("pk")
    )
    sent = 0
    for dossier in dossiers:
        evidence = getattr(dossier, "evidence_dossier", None)
        if evidence is not None and evidence.returned_at is not None:
            since, round_ = evidence.returned_at, f"returned-{evidence.returned_at.isoformat()}"
        else:
            opened = datetime.datetime.combine(
                dossier.opened_on, datetime.time(), tzinfo=timezone.get_current_timezone()
            )
            since, round_ = opened, "first"
        if not _delay_passed(dossier, since, now):
            continue
        if not reminder_claim(f"evidence:{dossier.pk}:{round_}", now=now):
            continue
        enqueue_evidence_reminder(dossier.pk)
        audit_record(
            "evidence_dossier.remind",
            obj=dossier,
            label=dossier.reference,
            branch=dossier.branch_id,
            details={"dossier": dossier.reference, "round": round_},
        )
        sent += 1
    return sent


# --- Anonymisation (privacy/): the national person goes with their last candidate record ------

ANONYMOUS_BIRTH_DATE = datetime.date(1900, 1, 1)


def person_anonymise_if_unclaimed(*, person_id: int) -> int:
    """Blank the identity of the person (and of the duplicates merged into them) once no
    candidate record of any branch points to them any more: the person is personal data with
    no purpose left. A person still claimed by another branch's candidate keeps their identity,
    which that branch holds for its own dossier. Returns how many persons were anonymised.
    Called inside the anonymisation's transaction (privacy.services.candidate_anonymise)."""
    persons = list(
        Person.objects.select_for_update().filter(Q(pk=person_id) | Q(merged_into_id=person_id))
    )
    if Candidate.objects.filter(person__in=persons).exists():
        return 0
    for person in persons:
        person.last_name = f"ANONYME-{person.pk}"
        person.first_name = "Anonyme"
        person.birth_date = ANONYMOUS_BIRTH_DATE
        for name in (
            "usage_name",
            "first_name_2",
            "first_name_3",
            "birth_place",
            "birth_insee_code",
            "birth_country_code",
            "birth_country_label",
            "email",
            "phone",
        ):
            setattr(person, name, "")
        person.save()
    return len(persons)


# --- Capacities credited from issued documents (#18) --------------------------------------

# Until the final evaluation is scored: a credited capacity is one the evaluators skip.
CREDIT_STATUSES = frozenset({S.OPEN, S.ADMISSIBLE, S.POSITIONING, S.EVALUATION})


def _holder_identity(certificate: Certificate) -> Any:
    holder = certificate.snapshot.get("holder") or {}
    born = holder.get("birth_date")
    return normalised_identity(
        last_name=holder.get("last_name", ""),
        first_name=holder.get("first_name", ""),
        birth_date=datetime.date.fromisoformat(born) if born else None,
        birth_place=holder.get("birth_place", ""),
        birth_insee_code=holder.get("birth_insee_code", ""),
        birth_country_code=holder.get("birth_country_code", ""),
    )


@transaction.atomic
def dossier_credit(*, dossier: Dossier, reference: str, by: Any) -> list[CreditedCapacity]:
    """Credit into the dossier the capacities an issued document proves, found by its number
    or its verification code (as on `/verify/`): a document of the candidate's own person
    (the ledger: completing a partial validation), or one whose holder's identity is exactly
    the candidate's (recognition between branches). Same CQPI version: the same capacities;
    another version or CQPI: through the approved equivalences only. An expired, revoked or
    superseded document credits nothing. Nothing of the issuing branch's dossier is read
    beyond the document's snapshot, which the crediting copies as provenance."""
    require_branch_staff(by, dossier.branch_id)
    locked = (
        Dossier.objects.select_for_update()
        .select_related("candidate", "version")
        .get(pk=dossier.pk)
    )
    if locked.status not in CREDIT_STATUSES:
        raise InvalidTransition(
            _(
                "Le dossier est « %(status)s » : des capacités ne peuvent être créditées "
                "qu'avant l'évaluation finale."
            )
            % {"status": locked.get_status_display()}
        )
    reference = reference.strip()
    certificate = (
        Certificate.objects.filter(Q(number=reference) | Q(verification_code=reference))
        .select_related("dossier__candidate")
        .first()
        if reference
        else None
    )
    # The same answer for a document that does not exist and one of somebody else: the
    # crediting is no way to learn who holds which number.
    unknown = DomainError(
        _("Aucun document valide de ce candidat ne porte ce numéro ou ce code."),
        code="document_unknown",
    )
    if certificate is None:
        raise unknown
    candidate = locked.candidate
    same_person = (
        candidate.person_id is not None
        and certificate.dossier.candidate.person_id == candidate.person_id
    )
    if not same_person and not _holder_identity(certificate).matches(candidate.identity()):
        raise unknown
    if certificate.status != CertificateStatus.VALID:
        raise DomainError(
            _("Le document %(number)s est « %(status)s » : il ne crédite aucune capacité.")
            % {"number": certificate.number, "status": certificate.get_status_display()},
            code="document_not_valid",
        )
    if certificate.valid_until is not None and certificate.valid_until < timezone.localdate():
        raise DomainError(
            _(
                "La validation partielle %(number)s a expiré le %(day)s : ses capacités ne "
                "peuvent plus être créditées."
            )
            % {"number": certificate.number, "day": certificate.valid_until.strftime("%d/%m/%Y")},
            code="document_expired",
        )
    already = set(locked.credited_capacities.values_list("capacity_id", flat=True))
    credits = [c for c in credits_for(certificate=certificate, version=locked.version)]
    if not credits:
        raise DomainError(
            _(
                "Aucune capacité de ce document ne correspond au référentiel du dossier "
                "(ni la même version, ni une équivalence approuvée)."
            ),
            code="nothing_to_credit",
        )
    new = [c for c in credits if c.capacity_id not in already]
    if not new:
        raise DomainError(
            _("Les capacités de ce document sont déjà créditées."), code="already_credited"
        )
    snapshot = certificate.snapshot
    source = CreditSource.LEDGER if same_person else CreditSource.RECOGNITION
    rows = CreditedCapacity.objects.bulk_create(
        CreditedCapacity(
            dossier=locked,
            capacity_id=credit.capacity_id,
            certificate=certificate,
            source=source,
            source_code=credit.source_code,
            equivalence_id=credit.equivalence_id,
            document_number=snapshot.get("number") or certificate.number,
            document_kind=certificate.kind,
            document_issued_on=certificate.issued_on,
            document_branch=(snapshot.get("branch") or {}).get("name", ""),
            document_cqpi=(snapshot.get("cqpi") or {}).get("title", ""),
            document_valid_until=certificate.valid_until,
            credited_by=by,
        )
        for credit in new
    )
    audit_record(
        "dossier.credit",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={
            "document": certificate.number,
            "source": str(source),
            "capacities": [credit.capacity_id for credit in new],
            "equivalences": sorted({c.equivalence_id for c in new if c.equivalence_id}),
        },
    )
    return rows
