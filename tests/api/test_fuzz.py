"""Schemathesis against the app's own schema, as staff, evaluator and candidate: no server
error and no response that departs from the schema."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from candidates import services as dossier_services
from cqpi.wsgi import application
from evaluations import services as evaluation_services
from tests import workflow
from tests.factories import CandidateFactory

EXAMPLES_PER_OPERATION = 6
CHECKS = [not_a_server_error, response_schema_conformance]


def _world(cast: Any) -> dict[str, int]:
    """A dossier at each main stage, an open session, a certificate: ids for the paths."""
    decision = workflow.award(cast)
    certificate = decision.certificates.get()
    ready = workflow.ready_for_jury(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    session = workflow.open_session(cast, [ready])
    dossier = workflow.open_dossier(cast, candidate=cast.other_candidate, route="direct")
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier, kind="final", external_evaluator=cast.evaluator, by=cast.staff_a
    )
    return {
        "branches": cast.branch_a.pk,
        "companies": cast.company_a.pk,
        "referentiels": cast.referentiel.pk,
        "referentiel-versions": cast.version.pk,
        "candidates": cast.candidate.pk,
        "dossiers": dossier.pk,
        "evaluations": evaluation.pk,
        "evaluation-sheets": evaluation.sheets.get().pk,
        "jury-sessions": session.pk,
        "proposals": decision.proposal_id,
        "decisions": decision.pk,
        "certificates": certificate.pk,
        "verify": certificate.verification_code,  # type: ignore[dict-item]
    }


def _strategy(operation: Any, ids: dict[str, Any]) -> Any:
    generated = operation.as_strategy()
    match = re.match(r"/api/v1/([^/]+)/\{(\w+)\}/", operation.path)
    if match and match.group(1) in ids:
        known = operation.as_strategy(path_parameters={match.group(2): ids[match.group(1)]})
        return st.one_of(generated, known)
    return generated


def _runner(operation: Any, strategy: Any, headers: dict[str, str], counted: dict[str, int]) -> Any:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        counted["cases"] += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Any:
    """Raw WSGI calls would close the test's connection at each request's end, as Django's
    test client prevents for its own requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_the_api_answers_every_generated_request_within_its_schema(
    cast: Any, capsys: Any, wsgi_keeps_the_test_connection: Any
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    ids = _world(cast)
    roles = {"staff": cast.staff_a, "evaluator": cast.evaluator, "candidate": cast.candidate_user}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an invalid operation: {result.err()}"
        operations.append(result.ok())
    counted = {"cases": 0}
    for role, user in roles.items():
        _instance, token = AuthToken.objects.create(user, expiry=None)
        headers = {"Authorization": f"Token {token}"}
        for operation in operations:
            run = _runner(operation, _strategy(operation, ids), headers, counted)
            try:
                run()
            except Exception as exc:
                exc.add_note(f"as {role}: {operation.method.upper()} {operation.path}")
                raise
    with capsys.disabled():
        print(
            f"\nSchemathesis: {counted['cases']} generated cases over {len(operations)} "
            f"operations × {len(roles)} roles, no server error, no schema violation"
        )
    assert counted["cases"] >= len(operations) * len(roles)
