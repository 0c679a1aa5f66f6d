"""The procès-verbal of a closed jury session: what it records, and that it is stored once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from certifications.models import Capacity
from evaluations import services as evaluation_services
from evaluations import tasks
from evaluations.minutes import minutes_store_pdf
from evaluations.models import JurySession, Outcome
from sampledata.jury import jury_decides
from tests.certifications.pdfs import canary_server, pdf_reader, pdf_text
from tests.factories import CandidateFactory, MembershipFactory, UserFactory
from tests.workflow import PASSWORD, close_and_sign, open_session, ready_for_jury


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sent(monkeypatch: Any) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(tasks, "render_minutes", SimpleNamespace(delay=ids.append))
    return ids


def decided_session(cast: Any) -> JurySession:
    """A session that awarded one dossier, partially validated one and refused one."""
    refused = CandidateFactory.create(branch=cast.branch_a, first_name="Noé", last_name="Refus")
    dossiers = [
        ready_for_jury(cast),
        ready_for_jury(cast, candidate=cast.other_candidate),
        ready_for_jury(cast, candidate=refused),
    ]
    session = open_session(cast, dossiers)
    capacities = {c.code: c.pk for c in Capacity.objects.filter(bloc__version=cast.version)}
    decide = jury_decides
    decide(session=session, dossier=dossiers[0], outcome=Outcome.AWARD, by=cast.jury_employer)
    decide(
        session=session,
        dossier=dossiers[1],
        outcome=Outcome.PARTIAL,
        validated_capacity_ids={capacities["C1.1"], capacities["C1.2"], capacities["C2.1"]},
        override_reasons={capacities["C2.2"]: "Geste de sécurité non maîtrisé en situation."},
        reasons="Compléter le bloc 2 en entreprise.",
        by=cast.jury_employer,
    )
    decide(
        session=session,
        dossier=dossiers[2],
        outcome=Outcome.REFUSAL,
        validated_capacity_ids=set(),
        override_reasons={pk: "Preuves insuffisantes." for pk in capacities.values()},
        reasons="Aucune capacité démontrée devant le jury.",
        by=cast.jury_employer,
    )
    return session


def closed_session(cast: Any) -> JurySession:
    """Decided, closed, and its procès-verbal signed by the chair and the vice-chair."""
    return close_and_sign(cast, decided_session(cast))


def minutes_text(session: JurySession) -> str:
    session.refresh_from_db()
    with session.minutes.open("rb") as handle:
        return pdf_text(handle.read())


def test_the_last_signature_enqueues_the_minutes(cast, sent, django_capture_on_commit_callbacks):
    session = decided_session(cast)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_services.jury_session_close(session=session, by=cast.staff_a)
        evaluation_services.minutes_sign(session=session, by=cast.jury_employer, password=PASSWORD)
    assert sent == []  # closed, signed by the chair only: nothing rendered yet
    assert not minutes_store_pdf(session_id=session.pk).minutes
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_services.minutes_sign(session=session, by=cast.jury_employee, password=PASSWORD)
    assert sent == [session.pk]


def test_the_minutes_list_the_members_by_college_with_chair_and_vice_chair(cast):
    session = minutes_store_pdf(session_id=closed_session(cast).pk)
    text = minutes_text(session)
    employer, employee = cast.jury_employer.get_full_name(), cast.jury_employee.get_full_name()
    employers_at, employees_at = text.index("Collège employeurs"), text.index("Collège salariés")
    assert employers_at < text.index(f"{employer} (Président)") < employees_at
    assert employees_at < text.index(f"{employee} (Vice-président)")
    assert "Branche Alpha" in text and "Paris, siège de la CPNE" in text


def test_the_minutes_record_each_decision_with_its_overrides_and_reasons(cast):
    session = minutes_store_pdf(session_id=closed_session(cast).pk)
    text = minutes_text(session)
    for decision in session.decisions.select_related("dossier__candidate"):
        candidate = decision.dossier.candidate
        assert decision.dossier.reference in text
        # The holder's name in its one form, as on the certificate (core.text.person_name).
        assert f"{candidate.first_name} {candidate.last_name.upper()}" in text
    assert "Délivrance totale" in text and "Validation partielle" in text and "Refus" in text
    assert "4 sur 4" in text and "3 sur 4" in text and "0 sur 4" in text
    assert "C2.2 Capacité 2.2 : non validée — Geste de sécurité non maîtrisé en situation." in text
    assert "Compléter le bloc 2 en entreprise." in text
    assert "Aucune capacité démontrée devant le jury." in text
    assert session.decisions.get(outcome=Outcome.AWARD).certificates.get().number in text


def test_the_minutes_give_the_totals_and_a_signature_block(cast):
    session = minutes_store_pdf(session_id=closed_session(cast).pk)
    text = minutes_text(session)
    assert "Dossiers examinés Délivrances totales Validations partielles Refus 3 1 1 1" in text
    assert "Le président" in text and "Le vice-président" in text
    session.refresh_from_db()
    with session.minutes.open("rb") as handle:
        page = pdf_reader(handle.read()).pages[0]
    assert round(float(page.mediabox.width)) == 595  # A4 portrait, in points


def test_the_minutes_are_stored_once_under_the_branch_date_and_session(cast, media_root):
    session = closed_session(cast)
    first = minutes_store_pdf(session_id=session.pk)
    second = minutes_store_pdf(session_id=session.pk)
    held = timezone.localdate(session.held_on)
    assert first.minutes.name == f"minutes/{held.year}/PV-alpha-{held.isoformat()}-{session.pk}.pdf"
    assert second.minutes.name == first.minutes.name
    assert len(list(media_root.rglob("*.pdf"))) == 1


def test_an_open_session_gets_no_minutes(cast, media_root):
    session = decided_session(cast)
    assert not minutes_store_pdf(session_id=session.pk).minutes
    assert list(media_root.rglob("*.pdf")) == []


def test_the_task_stores_the_minutes(cast):
    session = closed_session(cast)
    assert tasks.render_minutes.apply(args=(session.pk,)).successful()
    session.refresh_from_db()
    assert session.minutes.name.endswith(".pdf")


def test_markup_in_the_session_place_makes_no_request(cast):
    session = decided_session(cast)
    with canary_server() as canary:
        JurySession.objects.filter(pk=session.pk).update(
            place=f'<img src="{canary.url("place")}"> file:///etc/passwd'
        )
        close_and_sign(cast, session)
        text = minutes_text(minutes_store_pdf(session_id=session.pk))
        assert canary.hits == []
    assert f'<img src="{canary.url("place")}">' in text
    assert "root:x:0:0" not in text


def test_the_minutes_name_the_certifier_of_the_branch_settings(cast):
    cast.branch_a.certifier_name = "CPNEFP de la branche Alpha"
    cast.branch_a.save(update_fields=["certifier_name"])
    text = minutes_text(minutes_store_pdf(session_id=closed_session(cast).pk))
    assert "CPNEFP DE LA BRANCHE ALPHA" in text  # the masthead is in capitals
    assert "COMMISSION PARITAIRE NATIONALE DE L'EMPLOI" not in text.upper()


def test_the_minutes_state_quorum_tallies_absences_and_signatures(cast):
    absent = UserFactory.create(first_name="Aline", last_name="Absente")
    excused = UserFactory.create(first_name="Eric", last_name="Excusé")
    for user in (absent, excused):
        MembershipFactory.create(user=user, branch=cast.branch_a, role="jury", college="employees")
    dossier = ready_for_jury(cast)
    session = evaluation_services.jury_session_create(
        branch=cast.branch_a, held_on=timezone.now(), place="Lyon", by=cast.staff_a
    )
    for user, role in (
        (cast.jury_employer, "chair"),
        (cast.jury_employee, "member"),
        (absent, "member"),
        (excused, "member"),
    ):
        evaluation_services.jury_member_convoke(
            session=session, user=user, role=role, by=cast.staff_a
        )
    seats = {m.user_id: m for m in session.members.all()}
    evaluation_services.jury_member_set_presence(
        member=seats[absent.pk], present=False, by=cast.staff_a
    )
    evaluation_services.jury_member_set_presence(
        member=seats[excused.pk], present=False, excused=True, by=cast.staff_a
    )
    evaluation_services.jury_session_add_dossier(session=session, dossier=dossier, by=cast.staff_a)
    evaluation_services.jury_session_open(session=session, by=cast.staff_a)
    proposal = evaluation_services.proposal_put(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )
    evaluation_services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
    evaluation_services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employee)
    evaluation_services.jury_session_close(session=session, by=cast.staff_a)
    # No vice-chair was convoked: the chair alone signs, and no vice-chair is named.
    evaluation_services.minutes_sign(session=session, by=cast.jury_employer, password=PASSWORD)
    text = minutes_text(minutes_store_pdf(session_id=session.pk))
    assert (
        "Membres présents : 2 sur 4 convoqués (1 du collège employeurs, 1 du collège salariés)"
        in text
    )
    assert "Absents : Aline Absente" in text and "Excusés : Eric Excusé" in text
    assert "2 pour, 0 contre, 0 abstention(s), 2 membres présents" in text
    assert "Majorité absolue des membres présents" in text
    assert "Vice-président" not in text and "vice-présidence" not in text
    assert "Signé électroniquement le" in text
    signature = session.minutes_signatures.get()
    assert signature.content_sha256 in "".join(text.split())
