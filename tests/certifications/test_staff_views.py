"""The staff's certificate and référentiel pages: who reaches them, what they show and change."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications import services
from certifications.models import Certificate, CertificateStatus, Referentiel
from tests import workflow
from tests.factories import build_referentiel

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


@pytest.fixture
def certificate(cast: Any) -> Certificate:
    return workflow.award(cast).certificates.get()


@pytest.fixture
def rendered(certificate: Certificate, settings: Any, tmp_path: Any) -> Certificate:
    settings.MEDIA_ROOT = tmp_path
    return services.certificate_store_pdf(certificate_id=certificate.pk)


def _object_urls(certificate: Certificate) -> dict[str, tuple[str, str]]:
    pk = certificate.pk
    session_pk = certificate.decision.session_id
    return {
        "detail": ("get", reverse("certifications:certificate_detail", args=[pk])),
        "revoke": ("post", reverse("certifications:certificate_revoke", args=[pk])),
        "reissue": ("post", reverse("certifications:certificate_reissue", args=[pk])),
        "retry": ("post", reverse("certifications:certificate_retry_render", args=[pk])),
        "zip": ("get", reverse("evaluations:session_certificates_zip", args=[session_pk])),
    }


OBJECT_URLS = ["detail", "revoke", "reissue", "retry", "zip"]


# --- Four ways ------------------------------------------------------------------


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_certificate_pages_send_anonymous_visitors_to_login(
    client: Any, certificate: Certificate, name: str
) -> None:
    method, url = _object_urls(certificate)[name]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_certificate_pages_hide_another_branch_certificate(
    client: Any, cast: Any, certificate: Certificate, name: str
) -> None:
    client.force_login(cast.staff_b)
    method, url = _object_urls(certificate)[name]
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_certificate_pages_are_refused_to_the_holder(
    client: Any, cast: Any, certificate: Certificate, name: str
) -> None:
    # The holder sees the certificate (download, verification) but does not manage it.
    client.force_login(cast.candidate_user)
    method, url = _object_urls(certificate)[name]
    assert getattr(client, method)(url).status_code in (403, 404)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


@pytest.mark.parametrize(
    "url_name",
    [
        "certifications:certificate_list",
        "certifications:referentiel_list",
        "candidates:certificate_export",
    ],
)
def test_staff_list_pages_four_ways(client: Any, cast: Any, url_name: str) -> None:
    url = reverse(url_name)
    assert client.get(url)["Location"].startswith(LOGIN)
    for person in ("evaluator", "jury_employer", "candidate_user", "outsider"):
        client.force_login(getattr(cast, person))
        assert client.get(url).status_code == 403, person
    client.force_login(cast.staff_a)
    assert client.get(url).status_code == 200


# --- The list ---------------------------------------------------------------------


def test_the_list_shows_the_branch_certificates_only(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    url = reverse("certifications:certificate_list")
    client.force_login(cast.staff_a)
    assert certificate.number in client.get(url).content.decode()
    client.force_login(cast.staff_b)
    assert certificate.number not in client.get(url).content.decode()


def test_each_row_links_the_certificate_its_pdf_and_names_its_kind(
    client: Any, cast: Any, rendered: Certificate
) -> None:
    client.force_login(cast.staff_a)

    html = client.get(reverse("certifications:certificate_list")).content.decode()

    detail = reverse("certifications:certificate_detail", args=[rendered.pk])
    download = reverse("certifications:certificate_download", args=[rendered.pk])
    assert f'<a href="{detail}">{rendered.number}</a>' in html
    assert f'<a href="{download}">' in html
    assert f"<td>{rendered.get_kind_display()}</td>" in html


def test_the_list_filters_by_number_prefix(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_list")
    assert certificate.number in client.get(url, {"q": certificate.number[:8]}).content.decode()
    assert certificate.number not in client.get(url, {"q": "ZZZ"}).content.decode()


def test_the_list_costs_the_same_queries_for_1_and_for_4_certificates(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    from tests.factories import CandidateFactory

    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_list")
    workflow.award(cast)
    with CaptureQueriesContext(connection) as one:
        first = client.get(url).content.decode()
    for _ in range(3):
        workflow.award(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    with django_assert_num_queries(len(one)):
        four = client.get(url).content.decode()
    assert first.count("<tr>") == 2  # the header and one certificate
    assert four.count("<tr>") == 5


def test_the_list_pages_on_from_a_row_and_says_more_than_its_counted_limit(
    client: Any, cast: Any, monkeypatch: Any
) -> None:
    import html
    import re

    from core.pagination import KeysetPaginator
    from tests.factories import CandidateFactory

    monkeypatch.setattr("certifications.views.PAGE_SIZE", 2)
    monkeypatch.setattr(KeysetPaginator, "count_limit", 2)
    for _ in range(5):
        workflow.award(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_list")
    numbers = list(
        Certificate.objects.filter(branch=cast.branch_a).values_list("number", flat=True)
    )

    def shown(response: Any) -> list[str]:
        return [row["certificate"].number for row in response.context["rows"]]

    def follow(response: Any, rel: str) -> Any:
        found = re.search(rf'<a href="([^"]*)" rel="{rel}">', response.content.decode())
        assert found, f"no {rel} link"
        return client.get(url + html.unescape(found.group(1)))

    first = client.get(url)
    pages = [first, follow(first, "next")]
    pages.append(follow(pages[-1], "next"))

    assert "Plus de 2 certificats" in first.content.decode()
    assert [shown(page) for page in pages] == [numbers[0:2], numbers[2:4], numbers[4:5]]
    assert shown(follow(pages[-1], "prev")) == numbers[2:4]


# --- Revoke, reissue, retry ----------------------------------------------------------


def test_revoking_needs_a_reason_and_keeps_the_form(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_revoke", args=[certificate.pk])
    response = client.post(url, {"revoke-reason": ""})
    assert response.status_code == 400
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_revoking_shows_on_the_verification_page(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_revoke", args=[certificate.pk])
    unconfirmed = client.post(url, {"revoke-reason": "Fraude avérée"})
    assert unconfirmed.status_code == 400
    assert "Cochez la case pour confirmer la révocation." in unconfirmed.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    response = client.post(url, {"revoke-reason": "Fraude avérée", "revoke-confirm": "on"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "Fraude avérée"
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert "révoqué" in page


def test_reissuing_with_a_corrected_name(client: Any, cast: Any, certificate: Certificate) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_reissue", args=[certificate.pk])
    response = client.post(
        url,
        {
            "reissue-first_name": "Léa",
            "reissue-last_name": "Durant",
            "reissue-reason": "Nom mal orthographié",
        },
    )
    replacement = Certificate.objects.get(reissue_of=certificate)
    assert response["Location"] == reverse(
        "certifications:certificate_detail", args=[replacement.pk]
    )
    assert replacement.snapshot["holder"]["last_name"] == "Durant"
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUPERSEDED


def test_reissue_form_errors_keep_the_input(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_reissue", args=[certificate.pk])
    response = client.post(url, {"reissue-first_name": "Lé0", "reissue-last_name": ""})
    assert response.status_code == 400
    assert 'value="Lé0"' in response.content.decode()
    assert not Certificate.objects.filter(reissue_of=certificate).exists()


def test_retry_render_of_a_certificate_not_failed_says_so(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_retry_render", args=[certificate.pk])
    response = client.post(url, follow=True)
    assert "pas en échec" in response.content.decode()


def test_the_detail_page_shows_the_history(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    page = client.get(reverse("certifications:certificate_detail", args=[certificate.pk]))
    assert "Délivré" in page.content.decode()


def test_the_detail_page_of_a_rendered_certificate_names_the_system_for_the_render(
    client: Any, cast: Any, rendered: Certificate
) -> None:
    # The worker's "PDF généré" event has no person: the page once crashed on it.
    client.force_login(cast.staff_a)
    page = client.get(reverse("certifications:certificate_detail", args=[rendered.pk]))
    assert page.status_code == 200
    assert "système" in page.content.decode()


# --- ZIP -------------------------------------------------------------------------


def test_the_zip_holds_the_rendered_certificates_of_the_session(
    client: Any, cast: Any, rendered: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("evaluations:session_certificates_zip", args=[rendered.decision.session_id])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [f"{rendered.number}.pdf"]
    assert archive.read(f"{rendered.number}.pdf").startswith(b"%PDF-")


def test_the_zip_of_a_session_without_rendered_certificates_redirects(
    client: Any, cast: Any, certificate: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("evaluations:session_certificates_zip", args=[certificate.decision.session_id])
    assert client.get(url).status_code == 302


# --- Référentiels -----------------------------------------------------------------


def test_the_referentiel_page_shows_blocs_capacities_and_indicators(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    page = client.get(
        reverse("certifications:referentiel_detail", args=[cast.referentiel.pk])
    ).content.decode()
    capacity = cast.version.blocs.first().capacities.first()
    assert capacity.title in page
    assert capacity.indicators.first().label in page


def test_referentiel_pages_four_ways(client: Any, cast: Any) -> None:
    url = reverse("certifications:referentiel_detail", args=[cast.referentiel.pk])
    assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(cast.evaluator)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_a)
    assert client.get(url).status_code == 200


def _new_referentiel() -> Referentiel:
    referentiel, _version = build_referentiel(branches=[], title="Opérateur qualité")
    return referentiel


def test_adopting_a_cqpi_for_the_branch(client: Any, cast: Any) -> None:
    referentiel = _new_referentiel()
    client.force_login(cast.staff_a)
    url = reverse("certifications:referentiel_adopt", args=[referentiel.pk])
    response = client.post(url, {"branch": cast.branch_a.pk, "accord_date": "2024-05-02"})
    assert response.status_code == 302
    assert referentiel.adoptions.get().branch == cast.branch_a


def test_adopting_is_refused_for_another_branch(client: Any, cast: Any) -> None:
    referentiel = _new_referentiel()
    client.force_login(cast.staff_a)
    url = reverse("certifications:referentiel_adopt", args=[referentiel.pk])
    response = client.post(url, {"branch": cast.branch_b.pk, "accord_date": "2024-05-02"})
    assert response.status_code == 400
    assert not referentiel.adoptions.exists()


def test_adopting_is_refused_to_wrong_roles_and_anonymous(client: Any, cast: Any) -> None:
    referentiel = _new_referentiel()
    url = reverse("certifications:referentiel_adopt", args=[referentiel.pk])
    data = {"branch": cast.branch_a.pk, "accord_date": "2024-05-02"}
    assert client.post(url, data)["Location"].startswith(LOGIN)
    client.force_login(cast.jury_employer)
    assert client.post(url, data).status_code == 403
    assert not referentiel.adoptions.exists()


def test_adopting_keeps_the_input_on_a_future_date(client: Any, cast: Any) -> None:
    referentiel = _new_referentiel()
    client.force_login(cast.staff_a)
    url = reverse("certifications:referentiel_adopt", args=[referentiel.pk])
    response = client.post(url, {"branch": cast.branch_a.pk, "accord_date": "2999-01-01"})
    assert response.status_code == 400
    assert 'value="2999-01-01"' in response.content.decode()


# --- Live progress of a session's certificates ---------------------------------------


def test_the_progress_page_four_ways(client: Any, cast: Any, certificate: Certificate) -> None:
    url = reverse("evaluations:session_certificates", args=[certificate.decision.session_id])
    assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 404
    client.force_login(cast.jury_employer)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_a)
    page = client.get(url).content.decode()
    assert 'data-done="false"' in page
    assert "js/progress.js" in page


def test_the_progress_block_says_done_once_rendered(
    client: Any, cast: Any, rendered: Certificate
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("evaluations:session_certificates", args=[rendered.decision.session_id])
    block = client.get(url, {"partial": "1"}).content.decode()
    assert block.lstrip().startswith("<div")
    assert 'data-done="true"' in block
    assert reverse("certifications:certificate_download", args=[rendered.pk]) in block
