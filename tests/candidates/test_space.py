"""The candidate's space: their own dossiers only, told in plain words, with their certificate."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from candidates import services as dossier_services
from candidates.models import AccessRoute, Candidate
from certifications.models import Capacity, Certificate
from certifications.services import certificate_revoke, certificate_store_pdf
from evaluations import services as evaluation_services
from evaluations.models import Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.workflow import award, open_dossier, open_session, ready_for_jury

HOME = reverse("space:home")


def detail_url(dossier) -> str:  # type: ignore[no-untyped-def]
    return reverse("space:dossier_detail", args=[dossier.pk])


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


class TestPermissions:
    def test_anonymous_is_sent_to_log_in(self, client, cast):
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))

    def test_anonymous_is_sent_to_log_in_from_a_dossier(self, client, cast):
        dossier = open_dossier(cast)
        response = client.get(detail_url(dossier))
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))

    @pytest.mark.parametrize(
        "who", ["staff_a", "staff_b", "evaluator", "jury_employer", "referent_a", "outsider"]
    )
    def test_someone_who_is_not_a_candidate_is_refused(self, client, cast, who):
        client.force_login(getattr(cast, who))
        assert client.get(HOME).status_code == 403

    def test_the_branch_staff_cannot_open_a_dossier_in_the_space(self, client, cast):
        dossier = open_dossier(cast)
        client.force_login(cast.staff_a)
        assert client.get(detail_url(dossier)).status_code == 403

    def test_another_candidates_dossier_is_a_404(self, client, cast):
        dossier = open_dossier(cast)
        client.force_login(cast.other_candidate_user)
        assert client.get(detail_url(dossier)).status_code == 404

    def test_a_candidate_of_another_branch_gets_a_404(self, client, cast):
        dossier = open_dossier(cast)
        CandidateFactory.create(branch=cast.branch_b, user=cast.outsider)
        client.force_login(cast.outsider)
        assert client.get(detail_url(dossier)).status_code == 404

    def test_the_candidate_sees_their_dossier(self, client, cast):
        dossier = open_dossier(cast)
        client.force_login(cast.candidate_user)
        response = client.get(detail_url(dossier))
        assert response.status_code == 200
        assert dossier.reference in response.content.decode()


class TestHome:
    def test_it_lists_only_the_candidates_own_dossiers(self, client, cast):
        mine = open_dossier(cast)
        theirs = open_dossier(cast, candidate=cast.other_candidate)
        client.force_login(cast.candidate_user)
        body = client.get(HOME).content.decode()
        assert mine.reference in body
        assert theirs.reference not in body
        assert "Petit" not in body

    def test_a_candidate_without_a_dossier_is_told_so(self, client, cast):
        client.force_login(cast.candidate_user)
        body = client.get(HOME).content.decode()
        assert "Aucun dossier" in body

    def test_it_says_where_the_dossier_stands_and_what_comes_next(self, client, cast):
        dossier = open_dossier(cast)
        dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        client.force_login(cast.candidate_user)
        body = client.get(HOME).content.decode()
        assert "Votre positionnement a commencé" in body
        assert "Prochaine étape : l’évaluation finale" in body.replace("'", "’").replace(
            "&#x27;", "’"
        )

    def test_html_in_the_candidates_name_is_escaped(self, client, cast):
        cast.candidate.first_name = "<script>alert(1)</script>"
        cast.candidate.save()
        open_dossier(cast)
        client.force_login(cast.candidate_user)
        body = client.get(HOME).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body

    def test_the_download_link_appears_once_the_pdf_is_ready(self, client, cast):
        certificate = Certificate.objects.get(decision=award(cast))
        download = reverse("certifications:certificate_download", args=[certificate.pk])
        client.force_login(cast.candidate_user)
        before = client.get(HOME).content.decode()
        assert download not in before
        assert "en cours de génération" in before
        certificate_store_pdf(certificate_id=certificate.pk)
        after = client.get(HOME).content.decode()
        assert download in after

    def test_its_query_count_does_not_grow_with_the_dossiers(
        self, client, cast, django_assert_max_num_queries
    ):
        award(cast)
        client.force_login(cast.candidate_user)
        client.get(HOME)
        with django_assert_max_num_queries(12) as one:
            client.get(HOME)
        for _ in range(3):
            profile: Candidate = CandidateFactory.create(
                branch=cast.branch_a, user=cast.candidate_user
            )
            award(cast, candidate=profile)
        with django_assert_max_num_queries(12) as many:
            client.get(HOME)
        assert len(many.captured_queries) == len(one.captured_queries), [
            q["sql"] for q in many.captured_queries
        ]


class TestTimeline:
    def test_it_tells_each_step_in_plain_french(self, client, cast):
        decision = award(cast)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(decision.dossier)).content.decode()
        for sentence in (
            "Votre dossier a été ouvert pour le CQPI",
            "Votre positionnement a commencé",
            "Votre évaluation a commencé",
            "Votre évaluation est terminée",
            "Votre dossier est inscrit à l",
            "Le jury paritaire vous a délivré le CQPI",
        ):
            assert sentence in body, sentence
        assert body.index("Votre dossier a été ouvert") < body.index("Le jury paritaire vous")

    def test_the_current_step_is_marked(self, client, cast):
        dossier = open_dossier(cast)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(dossier)).content.decode()
        assert 'aria-current="step"' in body

    def test_a_vae_dossier_declared_admissible_says_so(self, client, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        dossier_services.dossier_rule_admissibility(
            dossier=dossier, admissible=True, by=cast.staff_a
        )
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(dossier)).content.decode()
        assert "Votre dossier de VAE a été déclaré recevable" in body

    def test_a_dossier_on_a_coming_jury_gives_its_date(self, client, cast):
        dossier = ready_for_jury(cast)
        held_on = timezone.now() + datetime.timedelta(days=10)
        session = evaluation_services.jury_session_create(
            branch=cast.branch_a, held_on=held_on, place="Lyon", by=cast.staff_a
        )
        evaluation_services.jury_session_add_dossier(
            session=session, dossier=dossier, by=cast.staff_a
        )
        client.force_login(cast.candidate_user)
        body = client.get(HOME).content.decode()
        with translation.override("fr"):
            day = date_format(timezone.localtime(held_on).date(), "j F Y")
        assert f"Le jury paritaire se réunira le {day}" in body

    def test_staff_comments_are_not_shown(self, client, cast):
        dossier = open_dossier(cast)
        dossier_services.dossier_start_positioning(
            dossier=dossier, by=cast.staff_a, comment="Note interne : appeler le tuteur"
        )
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(dossier)).content.decode()
        assert "Note interne" not in body


class TestDecisionAndCertificate:
    def test_an_award_shows_the_validated_capacities_and_the_verification_qr(self, client, cast):
        decision = award(cast)
        certificate = Certificate.objects.get(decision=decision)
        certificate_store_pdf(certificate_id=certificate.pk)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(decision.dossier)).content.decode()
        assert "Délivrance totale" in body
        assert "C1.1 — Capacité 1.1" in body
        assert "C2.2 — Capacité 2.2" in body
        assert reverse("certifications:certificate_download", args=[certificate.pk]) in body
        assert certificate.get_absolute_url() in body
        assert 'src="data:image/png;base64,' in body

    def test_a_pending_certificate_is_said_to_be_in_generation(self, client, cast):
        decision = award(cast)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(decision.dossier)).content.decode()
        assert "en cours de génération" in body
        assert "/telecharger/" not in body

    def test_a_partial_validation_says_which_capacities_and_until_when(self, client, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        capacities = list(Capacity.objects.filter(bloc__version=cast.version))
        kept = {c.pk for c in capacities if c.bloc.code == "B1"}
        jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.PARTIAL,
            validated_capacity_ids=kept,
            override_reasons={c.pk: "À consolider" for c in capacities if c.pk not in kept},
            reasons="Le bloc 2 reste à consolider.",
            by=cast.jury_employer,
        )
        certificate = Certificate.objects.get(dossier=dossier)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(dossier)).content.decode()
        validated = body[body.index("Capacités validées") : body.index("Capacités restant")]
        remaining = body[body.index("Capacités restant") :]
        assert "C1.1" in validated and "C1.2" in validated
        assert "C2.1" not in validated
        assert "C2.1" in remaining and "C2.2" in remaining
        assert certificate.valid_until is not None
        assert str(certificate.valid_until.year) in body
        assert "Le bloc 2 reste à consolider." in body

    def test_a_refusal_shows_the_jurys_reasons_and_no_certificate(self, client, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.REFUSAL,
            reasons="Les gestes de sécurité ne sont pas maîtrisés.",
            by=cast.jury_employer,
        )
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(dossier)).content.decode()
        assert "Le jury paritaire n" in body
        assert "Les gestes de sécurité ne sont pas maîtrisés." in body
        assert "Votre certificat" not in body

    def test_a_revoked_certificate_shows_its_reason_to_the_holder_only(self, client, cast):
        decision = award(cast)
        certificate = Certificate.objects.get(decision=decision)
        certificate_store_pdf(certificate_id=certificate.pk)
        certificate_revoke(certificate=certificate, reason="Erreur de saisie", by=cast.staff_a)
        client.force_login(cast.candidate_user)
        body = client.get(detail_url(decision.dossier)).content.decode()
        assert "révoqué le" in body
        assert "Erreur de saisie" in body
        assert "/telecharger/" not in body
        assert "data:image/png" not in body
