"""Declarations tests: a branch with its CDC identifiers, awards with complete identities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from branches.models import Branch
from candidates.models import Candidate
from tests import workflow
from tests.factories import CandidateFactory, complete_identity


def xsd_path() -> Path:
    """The Caisse's schema, found as the settings find it; a missing schema fails the
    tests (never a skip): the flux cannot be checked without it."""
    path = Path(settings.CDC_XSD_PATH or "")
    assert settings.CDC_XSD_PATH and path.is_file(), (
        "The CDC schema cpf-accrochage-1.1.2.xsd was not found: put shared/reference/cdc/ "
        f"beside the checkout or set CDC_XSD_PATH (now {settings.CDC_XSD_PATH!r})."
    )
    return path


@pytest.fixture
def cdc_branch(cast: Any) -> Branch:
    Branch.objects.filter(pk=cast.branch_a.pk).update(
        cdc_client_id="CLI00001", cdc_contract_id="MCFCERTIF-0001"
    )
    cast.branch_a.refresh_from_db()
    return cast.branch_a


def awarded(cast: Any, candidate: Candidate | None = None, **identity: Any) -> Any:
    """A certificate of branch A whose holder's identity is complete (`identity` overrides)."""
    candidate = candidate or CandidateFactory.create(branch=cast.branch_a)
    complete_identity(candidate, **identity)
    return workflow.award(cast, candidate=candidate).certificates.get()
