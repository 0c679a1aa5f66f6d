"""The ledger: what a person validated, read from the issued documents' snapshots only.

Each entry is one valid certificate or partial-validation attestation of the person (in any
branch, through every candidate record that points to them), with the blocs and capacities
its snapshot certifies, its number, CQPI and version, date, branch and validity. Nothing
here is stored or edited: a revoked document leaves the ledger, a reissue replaces the
document it supersedes (decision 0003 says why the snapshot is the truth of a document).

The certificates issued before the platform (`historic`, a room above this one) are documents
of the person too: that room registers a source in `core.ledger` and each ledger below reads
every registered source for the same persons, one query each, sorted in by date. Composing
the ledger in the historic room's views instead would have left every other reader of the
ledger (the space, the staff's page, whatever comes next) to remember it; a registry keeps
one ledger and the imports flowing down (import-linter checks them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from certifications.models import Certificate, CertificateKind, CertificateStatus
from core.ledger import ledger_sources_read

from .models import Candidate, Person


@dataclass(frozen=True)
class LedgerCapacity:
    code: str
    title: str
    # The number of the document that credited it into the dossier, if it was credited.
    credited_by: str = ""


@dataclass(frozen=True)
class LedgerBloc:
    code: str
    title: str
    complete: bool
    capacities: tuple[LedgerCapacity, ...]


@dataclass(frozen=True)
class LedgerEntry:
    certificate_id: int
    number: str
    kind: str
    cqpi_code: str
    cqpi_title: str
    version: int | None
    issued_on: datetime.date
    branch_name: str
    valid_until: datetime.date | None
    blocs: tuple[LedgerBloc, ...]
    # Issued before the platform (historic room): no snapshot, capacities as codes if known.
    before_platform: bool = False
    listed_capacities: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return f"{'historic' if self.before_platform else 'doc'}-{self.certificate_id}"

    @property
    def is_partial(self) -> bool:
        return self.kind == CertificateKind.PARTIAL

    @property
    def kind_label(self) -> str:
        return str(CertificateKind(self.kind).label)

    def expired_on(self, day: datetime.date) -> bool:
        return self.valid_until is not None and self.valid_until < day

    @property
    def expired(self) -> bool:
        return self.expired_on(timezone.localdate())

    @property
    def capacity_codes(self) -> frozenset[str]:
        return frozenset(c.code for bloc in self.blocs for c in bloc.capacities) | frozenset(
            self.listed_capacities
        )


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def entry_of(certificate: Certificate) -> LedgerEntry:
    """One document as the ledger reads it: its snapshot, and nothing else."""
    snapshot = certificate.snapshot or {}
    cqpi = snapshot.get("cqpi") or {}
    blocs = tuple(
        LedgerBloc(
            code=bloc.get("code", ""),
            title=bloc.get("title", ""),
            complete=bool(bloc.get("complete")),
            capacities=tuple(
                LedgerCapacity(
                    code=c.get("code", ""),
                    title=c.get("title", ""),
                    credited_by=(c.get("credited") or {}).get("number", ""),
                )
                for c in bloc.get("capacities") or ()
            ),
        )
        for bloc in snapshot.get("blocs") or ()
    )
    return LedgerEntry(
        certificate_id=certificate.pk,
        number=snapshot.get("number") or certificate.number,
        kind=snapshot.get("kind") or certificate.kind,
        cqpi_code=cqpi.get("code", ""),
        cqpi_title=cqpi.get("title", ""),
        version=cqpi.get("version"),
        issued_on=_date(snapshot.get("issued_on")) or certificate.issued_on,
        branch_name=(snapshot.get("branch") or {}).get("name", ""),
        valid_until=_date(snapshot.get("valid_until")),
        blocs=blocs,
    )


def _documents(condition: Q) -> QuerySet[Certificate]:
    # Only the columns the ledger reads: a snapshot and the number, one query for the page.
    return (
        Certificate.objects.filter(condition, status=CertificateStatus.VALID)
        .only("pk", "number", "kind", "issued_on", "snapshot")
        .order_by("-issued_on", "-pk")
    )


def _with_sources(entries: list[LedgerEntry], person_ids: Any) -> list[LedgerEntry]:
    """The documents, and the registered sources' entries for the persons, newest first."""
    extra: list[LedgerEntry] = ledger_sources_read(person_ids)
    if not extra:
        return entries
    return sorted(
        [*entries, *extra], key=lambda e: (e.issued_on, not e.before_platform), reverse=True
    )


def person_ledger(person: Person) -> list[LedgerEntry]:
    """The person's valid documents, newest first, through every candidate pointing to them."""
    documents = [entry_of(c) for c in _documents(Q(dossier__candidate__person_id=person.pk))]
    return _with_sources(documents, [person.pk])


def candidate_ledger(candidate: Candidate) -> list[LedgerEntry]:
    """The ledger of the candidate's person (every branch, as the person consented to the
    link), or of the candidate alone when no person was ever given (bulk-loaded rows)."""
    if candidate.person_id is None:
        return [entry_of(c) for c in _documents(Q(dossier__candidate_id=candidate.pk))]
    documents = [
        entry_of(c) for c in _documents(Q(dossier__candidate__person_id=candidate.person_id))
    ]
    return _with_sources(documents, [candidate.person_id])


def user_ledger(user: Any) -> list[LedgerEntry]:
    """What the signed-in candidate validated: the ledger of every person their candidate
    profiles point to (one query for the documents, one per registered source)."""
    profiles = Candidate.objects.filter(user_id=user.pk)
    condition = Q(dossier__candidate__person_id__in=profiles.values("person_id")) | Q(
        dossier__candidate__in=profiles.filter(person__isnull=True).values("pk")
    )
    documents = [entry_of(c) for c in _documents(condition)]
    return _with_sources(documents, profiles.filter(person__isnull=False).values("person_id"))
