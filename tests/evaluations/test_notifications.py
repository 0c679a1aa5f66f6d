"""Emails sent after commit: evaluator assigned, grid submitted, decision recorded, certificate ready."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from candidates import services as dossier_services
from certifications.models import Certificate
from certifications.services import certificate_store_pdf
from core.errors import InvalidTransition
from evaluations import services
from evaluations.models import EvaluationKind, Outcome
from sampledata.jury import jury_decides
from tests.workflow import open_dossier, open_session, ready_for_jury, score_all

SITE = "https://cqpi.example.test"


@pytest.fixture(autouse=True)
def site_url(settings: Any, tmp_path: Any) -> None:
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path


def in_evaluation(cast: Any) -> Any:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def assign(cast: Any, dossier: Any, *, binome: bool = False) -> Any:
    return services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a if binome else None,
        by=cast.staff_a,
    )


def test_the_assigned_evaluator_gets_a_french_email_linking_to_the_grid(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = in_evaluation(cast)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = assign(cast, dossier)

    sheet = evaluation.sheets.get()
    [message] = mail.outbox
    assert message.to == [cast.evaluator.email]
    assert message.subject == f"Nouvelle évaluation à réaliser — dossier {dossier.reference}"
    link = SITE + reverse("evaluations:sheet", args=[sheet.pk])
    assert link in message.body
    html = getattr(message, "alternatives", [])[0][0]
    assert f'href="{link}"' in html


def test_both_halves_of_a_binome_are_told_each_of_their_own_grid(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = in_evaluation(cast)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = assign(cast, dossier, binome=True)

    sent = {tuple(m.to): m.body for m in mail.outbox}
    for sheet in evaluation.sheets.select_related("evaluator"):
        assert (
            SITE + reverse("evaluations:sheet", args=[sheet.pk]) in sent[(sheet.evaluator.email,)]
        )


def test_nothing_is_sent_before_the_transaction_commits(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = in_evaluation(cast)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assign(cast, dossier)

    assert mail.outbox == []
    assert len(callbacks) == 1


def test_a_refused_assignment_sends_nothing(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = open_dossier(cast)  # not in evaluation yet: the service refuses
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        assign(cast, dossier)

    assert mail.outbox == []


def test_branch_staff_are_told_when_a_grid_is_submitted(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = in_evaluation(cast)
    sheet = assign(cast, dossier).sheets.get()
    with django_capture_on_commit_callbacks(execute=True):
        score_all(sheet, by=cast.evaluator)

    [message] = mail.outbox
    assert message.to == [cast.staff_a.email]  # never the other branch's staff
    assert message.subject == f"Grille d'évaluation transmise — dossier {dossier.reference}"
    assert SITE + reverse("candidates:dossier_detail", args=[dossier.pk]) in message.body


def test_the_candidate_is_told_of_the_decision_then_of_the_certificate(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    with django_capture_on_commit_callbacks(execute=True):
        jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)

    # Celery is eager in the tests: the render ran on commit, then told the candidate.
    decision_mail, ready_mail = mail.outbox
    space_link = SITE + reverse("space:dossier_detail", args=[dossier.pk])
    assert decision_mail.to == [cast.candidate_user.email]
    assert (
        decision_mail.subject
        == f"Le jury a rendu sa décision sur votre dossier {dossier.reference}"
    )
    assert space_link in decision_mail.body
    certificate = Certificate.objects.get(dossier=dossier)
    assert ready_mail.to == [cast.candidate_user.email]
    assert ready_mail.subject == f"Votre document CQPI est disponible — {certificate.number}"
    assert space_link in ready_mail.body
    assert certificate.verification_url in ready_mail.body


def test_a_refusal_is_announced_without_its_details(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    with django_capture_on_commit_callbacks(execute=True):
        jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.REFUSAL,
            validated_capacity_ids=set(),
            override_reasons={
                c: "Non observé" for c in services.selectors.proposed_capacity_ids(dossier=dossier)
            },
            reasons="Motif interne au jury",
            by=cast.jury_employer,
        )

    [message] = mail.outbox  # no certificate, so no second email
    assert message.to == [cast.candidate_user.email]
    assert "Motif interne au jury" not in message.body


def test_a_second_render_of_a_ready_certificate_sends_no_second_email(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    with django_capture_on_commit_callbacks(execute=True):
        jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)
    certificate = Certificate.objects.get(dossier=dossier)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        certificate_store_pdf(certificate_id=certificate.pk)

    assert mail.outbox == []


def test_the_emails_stay_french_when_the_request_was_in_english(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import translation

    dossier = in_evaluation(cast)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assign(cast, dossier)

    assert mail.outbox[0].subject.startswith("Nouvelle évaluation à réaliser")


def _candidate_without_space(cast: Any, *, email: str) -> Any:
    """A candidate as an import leaves them: no account (and maybe no address)."""
    from tests.factories import CandidateFactory

    return CandidateFactory.create(branch=cast.branch_a, email=email, user=None)


def test_a_candidate_without_an_address_gets_no_email_pointing_to_a_space(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    candidate = _candidate_without_space(cast, email="")
    dossier = ready_for_jury(cast, candidate=candidate)
    session = open_session(cast, [dossier])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)

    space = reverse("space:home")
    assert [m for m in mail.outbox if space in m.body] == []
    candidate.refresh_from_db()
    assert candidate.user is None


def test_an_address_added_after_the_opening_gets_the_invitation_with_the_decision(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    candidate = _candidate_without_space(cast, email="")
    dossier = ready_for_jury(cast, candidate=candidate)
    session = open_session(cast, [dossier])
    # Staff learn the address after the dossier was opened (no invitation went out then).
    type(candidate).objects.filter(pk=candidate.pk).update(email="tardif@example.test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)

    by_subject = {m.subject: m for m in mail.outbox}
    assert set(by_subject) >= {
        "Votre espace CQPI : activez votre compte",
        f"Le jury a rendu sa décision sur votre dossier {dossier.reference}",
    }
    space = reverse("space:home")
    for message in mail.outbox:
        assert message.to == ["tardif@example.test"]
        # No email links to a space its reader cannot enter yet: only the activation link.
        assert space not in message.body, message.subject
        for content, _mimetype in getattr(message, "alternatives", []):
            assert space not in str(content), message.subject
    decision_mail = by_subject[f"Le jury a rendu sa décision sur votre dossier {dossier.reference}"]
    assert "activez d'abord votre espace candidat" in decision_mail.body
    candidate.refresh_from_db()
    assert candidate.user is not None and not candidate.space_open
