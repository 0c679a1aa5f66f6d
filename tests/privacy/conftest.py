"""The privacy tests' kit: a frozen clock, and a data set with every kind of data the policy ages."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from candidates import services as dossier_services
from candidates.evidence import evidence_add
from candidates.models import Candidate, Dossier, EvidenceFile
from evaluations.models import CapacityResult
from tests import workflow
from tests.factories import CandidateFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@contextmanager
def frozen_clock(moment: datetime.datetime) -> Iterator[None]:
    """`timezone.now()` is `moment` everywhere, including the audit trail's timestamps (its
    field's default holds the function itself, read through a cached `_get_default`, so that
    is replaced too)."""
    at_field = AuditEvent._meta.get_field("at")
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch.object(at_field, "_get_default", lambda: moment),
    ):
        yield


@pytest.fixture
def clock() -> Callable[..., Any]:
    """`clock(years=4)`: a context manager freezing the time that far after today."""

    def at(*, years: int = 0, days: int = 0) -> Any:
        base = timezone.now().replace(microsecond=0)
        return frozen_clock(base + datetime.timedelta(days=365 * years + days))

    return at


def add_evidence(dossier: Dossier, by: Any, name: str = "piece.pdf") -> EvidenceFile:
    return evidence_add(
        dossier=dossier,
        uploaded=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
        by=by,
    )


@dataclass
class DataSet:
    awarded: Dossier  # cast.candidate's, with its certificate
    certificate: Any
    refused: Dossier  # a refused candidate's only dossier
    withdrawn: Dossier  # cast.other_candidate's only dossier, withdrawn
    in_progress: Dossier  # still in evaluation
    refused_candidate: Candidate
    busy_candidate: Candidate
    evidence: dict[str, EvidenceFile]


@pytest.fixture
def dataset(cast: Any) -> DataSet:
    """Dossiers at each end of the path and one under way, each with a piece of evidence, a
    free-text note in its history and on its grid."""
    awarded_decision = workflow.award(cast)
    refused_candidate = CandidateFactory.create(
        branch=cast.branch_a,
        last_name="Refusé",
        first_name="Rémi",
        user=UserFactory.create(email="remi.refuse@example.test"),
    )
    refused = workflow.refuse(cast, candidate=refused_candidate).dossier
    withdrawn = workflow.open_dossier(cast, candidate=cast.other_candidate)
    dossier_services.dossier_withdraw(
        dossier=withdrawn, by=cast.staff_a, comment="Le salarié a quitté l'entreprise."
    )
    busy_candidate = CandidateFactory.create(
        branch=cast.branch_a, last_name="Encours", first_name="Eve"
    )
    in_progress = workflow.ready_for_jury(cast, candidate=busy_candidate)
    evidence = {
        name: add_evidence(dossier, cast.staff_a, f"{name}.pdf")
        for name, dossier in (
            ("awarded", awarded_decision.dossier),
            ("refused", refused),
            ("withdrawn", withdrawn),
            ("in_progress", in_progress),
        )
    }
    CapacityResult.objects.update(comment="Hésite sur le geste, à revoir avec son tuteur.")
    return DataSet(
        awarded=awarded_decision.dossier,
        certificate=awarded_decision.certificates.get(),
        refused=refused,
        withdrawn=withdrawn,
        in_progress=in_progress,
        refused_candidate=refused_candidate,
        busy_candidate=busy_candidate,
        evidence=evidence,
    )
