"""Duplicate requests arriving at the same moment: each has exactly one effect.

A double-click on "record decision", two tabs closing the same session and an API bulk
request sent twice with its Idempotency-Key each run here as real concurrent requests,
one thread and one database connection per request, released together by a barrier.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from candidates.models import Dossier, DossierHistory, DossierStatus
from certifications.models import Capacity, Certificate, RenderStatus
from core.models import IdempotencyRecord
from evaluations import services as evaluation_services
from evaluations.models import Decision, JurySession, Outcome, Proposal, SessionStatus
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.workflow import PASSWORD, open_session, ready_for_jury

pytestmark = pytest.mark.django_db(transaction=True)

TWICE = 2


def at_once(work: list[Callable[[], Any]]) -> list[Any]:
    """Run each callable in its own thread, all released together; re-raise any error."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_double_clicked_proposal_and_vote_count_once_with_one_certificate(
    cast: Any, media: Path
) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    url = reverse("evaluations:decision_record", args=[session.pk, dossier.pk])
    form = {f"c{pk}_validated": "on" for pk in Capacity.objects.values_list("pk", flat=True)}
    form["outcome"] = Outcome.AWARD
    chair = [logged_in(cast.jury_employer) for _ in range(TWICE)]

    responses = at_once([functools.partial(click.post, url, form) for click in chair])

    # One click puts the proposal and redirects; the other is told one is already voted on.
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "Une proposition est déjà soumise au vote pour ce dossier." in refused
    proposal = Proposal.objects.get(dossier=dossier)
    vote = reverse("evaluations:proposal_vote", args=[session.pk, proposal.pk])

    # The chair's vote, double-clicked, counts once; the vice-chair's concludes the vote.
    at_once([functools.partial(click.post, vote, {"choice": "for"}) for click in chair])
    assert proposal.votes.count() == 1
    logged_in(cast.jury_employee).post(vote, {"choice": "for"})

    assert Decision.objects.filter(dossier=dossier).count() == 1
    assert Certificate.objects.filter(decision__dossier=dossier).count() == 1
    certificate = Certificate.objects.get(decision__dossier=dossier)
    assert certificate.render_status == RenderStatus.READY
    assert (
        DossierHistory.objects.filter(dossier=dossier, to_status=DossierStatus.AWARDED).count() == 1
    )
    assert AuditEvent.objects.filter(action="decision.record").count() == 1


def test_two_tabs_closing_the_same_session_close_it_once(cast: Any, media: Path) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)
    url = reverse("evaluations:session_close", args=[session.pk])
    tabs = [logged_in(cast.staff_a) for _ in range(TWICE)]

    responses = at_once([functools.partial(tab.post, url, follow=True) for tab in tabs])

    assert [r.status_code for r in responses] == [200, 200]
    pages = [r.content.decode() for r in responses]
    # One tab closed it; the other is told why nothing happened, with no error page.
    closed = [p for p in pages if "La session est close." in p]
    refused = [p for p in pages if "opération impossible" in p]
    assert (len(closed), len(refused)) == (1, 1)
    session = JurySession.objects.get(pk=session.pk)
    assert session.status == SessionStatus.CLOSED
    assert AuditEvent.objects.filter(action="session.close").count() == 1
    # Signed by the chair and the vice-chair, the procès-verbal is rendered once.
    for signer in (cast.jury_employer, cast.jury_employee):
        evaluation_services.minutes_sign(session=session, by=signer, password=PASSWORD)
    session.refresh_from_db()
    minutes = list((media / "minutes").rglob("*.pdf"))
    assert len(minutes) == 1
    assert session.minutes.name and minutes[0].name == Path(session.minutes.name).name
    assert Certificate.objects.count() == 1


def test_the_same_bulk_request_sent_twice_at_once_opens_its_dossiers_once(cast: Any) -> None:
    items = [
        {
            "candidate": CandidateFactory.create(branch=cast.branch_a).pk,
            "version": cast.version.pk,
            "company": cast.company_a.pk,
            "access_route": "continuing",
        }
        for _ in range(3)
    ]

    def send() -> Any:
        client = APIClient()
        client.force_authenticate(cast.staff_a)
        return client.post(
            "/api/v1/dossiers/bulk/",
            {"items": items},
            format="json",
            HTTP_IDEMPOTENCY_KEY="bulk-2026-11-28-1",
        )

    first, second = at_once([send, send])

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    # Exactly one of the two answers is a replay of the other's stored answer.
    replayed = [r.headers.get("Idempotent-Replayed") for r in (first, second)]
    assert sorted(replayed, key=str) == sorted([None, "true"], key=str)
    assert Dossier.objects.count() == 3
    assert IdempotencyRecord.objects.count() == 1
