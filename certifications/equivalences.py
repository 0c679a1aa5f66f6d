"""Reads of the equivalence table: which capacities of a dossier's version an issued
document gives, by its snapshot's capacities and the approved equivalences.

A document of the same version gives the same capacities (matched by code, as the snapshot
keeps codes, not rows); of another version or CQPI, only through approved equivalences of a
capacity, or of a bloc the document validates whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import Capacity, Certificate, Equivalence, EquivalenceStatus, ReferentielVersion


@dataclass(frozen=True)
class Credit:
    """A capacity of the target version given by the document: through which of the
    document's capacity (or bloc) codes, and which equivalence (none for the same version)."""

    capacity_id: int
    source_code: str
    equivalence_id: int | None = None


def _validated_codes(certificate: Certificate) -> tuple[set[str], set[str]]:
    """The capacity codes the snapshot certifies, and the codes of the blocs it certifies whole."""
    capacities: set[str] = set()
    complete_blocs: set[str] = set()
    for bloc in certificate.snapshot.get("blocs") or ():
        capacities.update(c.get("code", "") for c in bloc.get("capacities") or ())
        if bloc.get("complete"):
            complete_blocs.add(bloc.get("code", ""))
    return capacities, complete_blocs


def credits_for(*, certificate: Certificate, version: ReferentielVersion) -> list[Credit]:
    """The capacities of `version` the document gives, one per capacity, ordered as the
    référentiel (three queries at most)."""
    capacity_codes, bloc_codes = _validated_codes(certificate)
    targets = {
        c.pk: c for c in Capacity.objects.filter(bloc__version=version).select_related("bloc")
    }
    found: dict[int, Credit] = {}
    if certificate.version_id == version.pk:
        for capacity in targets.values():
            if capacity.code in capacity_codes:
                found[capacity.pk] = Credit(capacity.pk, capacity.code)
        return [found[pk] for pk in targets if pk in found]
    rows = (
        Equivalence.objects.filter(status=EquivalenceStatus.APPROVED)
        .filter(
            Q(
                source_capacity__bloc__version_id=certificate.version_id,
                source_capacity__code__in=capacity_codes,
                target_capacity__bloc__version=version,
            )
            | Q(
                source_bloc__version_id=certificate.version_id,
                source_bloc__code__in=bloc_codes,
                target_bloc__version=version,
            )
        )
        .select_related("source_capacity", "source_bloc")
        .order_by("pk")
    )
    for row in rows:
        if row.is_bloc:
            assert row.source_bloc is not None
            for capacity in targets.values():
                if capacity.bloc_id == row.target_bloc_id:
                    found.setdefault(capacity.pk, Credit(capacity.pk, row.source_bloc.code, row.pk))
        elif row.target_capacity_id in targets:
            assert row.source_capacity is not None and row.target_capacity_id is not None
            found.setdefault(
                row.target_capacity_id,
                Credit(row.target_capacity_id, row.source_capacity.code, row.pk),
            )
    return [found[pk] for pk in targets if pk in found]
