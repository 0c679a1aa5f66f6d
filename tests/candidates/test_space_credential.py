"""The holder's side of the signed credential: download it, read it in plain French, add it to
LinkedIn; nobody else gets it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.models import Certificate
from certifications.services import certificate_revoke, certificate_store_pdf
from credentials.selectors import known_keys
from credentials.verification import Verdict, verify_credential
from tests.workflow import award


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def issued(cast):  # type: ignore[no-untyped-def]
    decision = award(cast)
    return certificate_store_pdf(certificate_id=decision.certificates.get().pk)


def download_url(certificate: Certificate) -> str:
    return reverse("space:credential_download", args=[certificate.dossier_id])


def test_the_holder_downloads_a_credential_that_verifies(client, cast, issued):
    client.force_login(cast.candidate_user)
    response = client.get(download_url(issued))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.json"'
    credential = json.loads(response.content)
    assert verify_credential(credential, keys=known_keys()).verdict == Verdict.VALID


def test_anonymous_is_sent_to_log_in(client, issued):
    response = client.get(download_url(issued))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("who", ["staff_a", "staff_b", "evaluator", "outsider"])
def test_who_is_not_a_candidate_is_refused(client, cast, issued, who):
    client.force_login(getattr(cast, who))
    assert client.get(download_url(issued)).status_code == 403


def test_another_candidate_gets_a_404(client, cast, issued):
    client.force_login(cast.other_candidate_user)
    assert client.get(download_url(issued)).status_code == 404


def test_a_revoked_document_has_no_credential_to_download(client, cast, issued):
    certificate_revoke(certificate=issued, reason="Fraude", by=cast.staff_a)
    client.force_login(cast.candidate_user)
    assert client.get(download_url(issued)).status_code == 404


def test_before_the_render_it_is_409(client, cast):
    certificate = award(cast).certificates.get()
    client.force_login(cast.candidate_user)
    assert client.get(download_url(certificate)).status_code == 409


def test_the_space_tells_what_the_credential_says_and_links_to_linkedin(client, cast, issued):
    client.force_login(cast.candidate_user)
    page = client.get(reverse("space:dossier_detail", args=[issued.dossier_id]))
    body = page.content.decode()
    assert "Votre attestation numérique" in body
    assert download_url(issued) in body
    assert "l'adresse elle-même n'y figure pas" in body
    link = page.context["linkedin_url"]
    query = parse_qs(urlsplit(link).query)
    assert link.startswith("https://www.linkedin.com/profile/add?")
    assert query["certId"] == [issued.number]
    assert query["certUrl"] == [issued.verification_url]
    assert query["organizationName"] == [cast.branch_a.name]
    assert query["issueYear"] == [str(issued.issued_on.year)]


def test_the_credential_adds_no_query_to_the_space_page(client, cast, issued):
    client.force_login(cast.candidate_user)
    url = reverse("space:dossier_detail", args=[issued.dossier_id])
    client.get(url)
    with CaptureQueriesContext(connection) as signed:
        client.get(url)
    Certificate.objects.filter(pk=issued.pk).update(credential={})
    with CaptureQueriesContext(connection) as unsigned:
        client.get(url)
    assert len(signed) == len(unsigned)
