"""The certificate and attestation PDFs: what they state, and the sealed fetcher behind them."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from weasyprint.urls import URLFetchingError

from certifications import rendering
from certifications.models import Certificate
from certifications.rendering import (
    PDFAssetMissing,
    ProjectStaticFetcher,
    french_date,
    render_certificate_pdf,
    render_pdf,
)
from certifications.services import certificate_store_pdf
from tests.certifications.pdfs import (
    canary_server,
    decide_partial,
    hostile_markup,
    pdf_reader,
    pdf_text,
    stored_pdf,
)
from tests.factories import CandidateFactory, signature_png
from tests.workflow import award


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def issue_and_render(cast: Any, **candidate: Any) -> tuple[Certificate, str]:
    person = CandidateFactory.create(branch=cast.branch_a, **candidate) if candidate else None
    decision = award(cast, candidate=person)
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    return certificate, pdf_text(stored_pdf(certificate))


# --- What the certificate states ---------------------------------------------------------


def test_the_certificate_names_the_holder_the_cqpi_its_number_and_verification_url(cast):
    certificate, text = issue_and_render(cast)
    assert "Léa DURAND" in text
    assert "Certificat de Qualification Professionnelle Inter-branches" in text
    assert "Agent logistique" in text
    assert certificate.number in text
    assert certificate.verification_url in text


def test_the_certificate_carries_the_mandatory_mentions(cast):
    certificate, text = issue_and_render(cast)
    registration = cast.referentiel.registrations.get()
    assert (
        f"Certification enregistrée au RNCP sous le n° {registration.code} "
        "par décision du 01/06/2022"
    ) in text
    assert "Niveau 3" in text
    assert "niveau 3 du cadre européen des certifications" in text
    assert "codes NSF 250" in text
    assert "CPNE de la branche Branche Alpha" in text
    assert f"Fait à Paris, le {french_date(certificate.issued_on)}" in text
    assert "Claire Martin" in text and "Présidente de la CPNE" in text
    assert "a validé l'ensemble des capacités du référentiel (version 1)" in text


def test_the_certificate_lists_the_validated_blocs_and_capacities(cast):
    _certificate, text = issue_and_render(cast)
    for name in (
        "Bloc 1",
        "Bloc 2",
        "Capacité 1.1",
        "Capacité 1.2",
        "Capacité 2.1",
        "Capacité 2.2",
    ):
        assert name in text


def test_the_holder_birth_is_written_in_french(cast):
    _certificate, text = issue_and_render(
        cast,
        first_name="Jeanne",
        last_name="Moreau",
        birth_date=datetime.date(1991, 8, 1),
        birth_place="Roubaix",
    )
    assert "né(e) le 1er août 1991 à Roubaix" in text


def test_a_document_issued_without_a_registration_says_so(cast):
    # Issued before the compliance gate: its snapshot names no registration. (The gate now
    # refuses to issue one: tests/certifications/test_compliance.py.)
    certificate = award(cast).certificates.get()
    certificate.snapshot = {**certificate.snapshot, "registration": None}
    certificate.save(update_fields=["snapshot"])
    text = pdf_text(render_certificate_pdf(certificate))
    assert "Certification non enregistrée au RNCP ni au Répertoire spécifique" in text
    assert "RNCP3" not in text


def test_the_certificate_names_the_certifier_of_the_branch_settings(cast):
    cast.branch_a.certifier_name = "CPNEFP de la branche Alpha"
    cast.branch_a.save(update_fields=["certifier_name"])
    certificate, text = issue_and_render(cast)
    assert certificate.snapshot["certifier"] == "CPNEFP de la branche Alpha"
    assert "Certificateur : CPNEFP de la branche Alpha" in text
    assert "CPNE de la branche" not in text


def test_a_document_issued_before_the_certifier_setting_keeps_its_former_wording(cast):
    certificate = award(cast).certificates.get()
    snapshot = dict(certificate.snapshot)
    del snapshot["certifier"]
    certificate.snapshot = snapshot
    text = pdf_text(render_certificate_pdf(certificate))
    assert "Certificateur : CPNE de la branche Branche Alpha" in text


def test_the_certificate_is_one_a4_landscape_page(cast):
    certificate, _text = issue_and_render(cast)
    pages = pdf_reader(stored_pdf(certificate)).pages
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert round(width) == 842 and round(height) == 595  # A4 landscape, in points


def test_the_pdf_is_rendered_from_the_snapshot_not_the_live_dossier(cast):
    decision = award(cast)
    cast.candidate.last_name = "Changé-Depuis"
    cast.candidate.save()
    cast.branch_a.place_of_issue = "Lyon"
    cast.branch_a.save()
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    text = pdf_text(stored_pdf(certificate))
    assert "Léa DURAND" in text and "CHANGÉ-DEPUIS" not in text
    assert "Fait à Paris" in text and "Lyon" not in text


def big_snapshot(certificate: Certificate, *, blocs: int, capacities: int) -> dict[str, Any]:
    snapshot = copy.deepcopy(certificate.snapshot)
    snapshot["blocs"] = [
        {
            "code": f"B{b}",
            "title": f"Organiser et conduire les opérations du bloc {b}",
            "complete": False,
            "capacities": [
                {
                    "code": f"C{b}.{c}",
                    "title": f"Préparer une commande en respectant les règles de sécurité, "
                    f"de qualité et les délais fixés (capacité {b}.{c})",
                }
                for c in range(1, capacities + 1)
            ],
        }
        for b in range(1, blocs + 1)
    ]
    return snapshot


def test_a_certificate_of_a_large_referentiel_still_fits_on_one_page(cast):
    certificate = award(cast).certificates.get()
    certificate.snapshot = big_snapshot(certificate, blocs=8, capacities=7)
    data = render_certificate_pdf(certificate)
    assert len(pdf_reader(data).pages) == 1
    text = pdf_text(data)
    assert "Organiser et conduire les opérations du bloc 8" in text
    assert certificate.verification_url in text


# --- The partial-validation attestation ---------------------------------------------------


def test_a_partial_attestation_names_only_the_validated_capacities(cast):
    decision = decide_partial(cast, validated_codes={"C1.1", "C1.2", "C2.1"})
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    text = pdf_text(stored_pdf(certificate))
    assert "Attestation de validation partielle" in text
    assert "Capacité 1.1" in text and "Capacité 1.2" in text and "Capacité 2.1" in text
    assert "Capacité 2.2" not in text
    assert "bloc validé en totalité" in text  # bloc 1, and only bloc 1
    assert text.count("bloc validé en totalité") == 1
    assert f"Valable jusqu'au {french_date(certificate.valid_until)}" in text
    assert certificate.number in text and certificate.number.startswith("AVP-")


def test_a_partial_attestation_without_time_limit_says_so(cast):
    cast.branch_a.partial_validity_months = None
    cast.branch_a.save()
    decision = decide_partial(cast, validated_codes={"C2.2"})
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    text = pdf_text(stored_pdf(certificate))
    assert "sans limite de durée" in text
    assert "Valable jusqu'au" not in text
    assert "Capacité 2.2" in text and "Bloc 1" not in text


def test_a_long_partial_attestation_keeps_every_capacity_on_an_annex(cast):
    certificate = decide_partial(cast, validated_codes={"C1.1"}).certificates.get()
    certificate.snapshot = big_snapshot(certificate, blocs=8, capacities=9)
    data = render_certificate_pdf(certificate)
    pages = pdf_reader(data).pages
    first_page = " ".join(pages[0].extract_text().split())
    assert len(pages) >= 2
    assert certificate.number in first_page and "figure en annexe" in first_page
    annex = pdf_text(data).split("Annexe — capacités validées", 1)[1]
    for b in range(1, 9):
        for c in range(1, 10):
            assert f"(capacité {b}.{c})" in annex


# --- Escaping and the sealed fetcher ------------------------------------------------------


def test_markup_in_a_name_is_printed_literally(cast):
    _certificate, text = issue_and_render(
        cast, first_name="<b>Léa</b>", last_name="Martin", birth_place="Lille"
    )
    assert "<b>Léa</b>" in text


def test_hostile_values_make_no_request_and_read_no_local_file(cast):
    with canary_server() as canary:
        first, last, place, branch_place, *_ = hostile_markup(canary)
        cast.branch_a.place_of_issue = f"{branch_place} <img src='{canary.url('place')}'>"
        cast.branch_a.save()
        certificate, text = issue_and_render(
            cast,
            first_name=f'{first} <img src="file:///etc/passwd">',
            last_name=f"{last} {canary.url('last')}",
            birth_place=f"{place} file:///etc/passwd",
        )
        assert canary.hits == []
    assert "root:x:0:0" not in text
    assert "@import url(" in text  # printed as text, never followed
    assert certificate.render_status == "ready"


def test_the_fetcher_refuses_the_network_and_local_files():
    fetcher = ProjectStaticFetcher()
    with canary_server() as canary:
        for url in (
            canary.url("direct"),
            "https://example.org/logo.png",
            "file:///etc/passwd",
            "ftp://127.0.0.1/x",
        ):
            with pytest.raises(URLFetchingError):
                fetcher.fetch(url)
        assert canary.hits == []


@pytest.mark.parametrize(
    "path",
    [
        "../../etc/passwd",
        "pdf/../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
        "pdf/..%2f..%2f..%2fetc/passwd",
    ],
)
def test_the_fetcher_refuses_to_leave_the_static_folder(path):
    with pytest.raises(URLFetchingError):
        ProjectStaticFetcher().fetch(f"cqpi-static:{path}")


def test_the_fetcher_serves_the_project_stylesheet():
    response = ProjectStaticFetcher().fetch("cqpi-static:pdf/certificate.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_the_fetcher_serves_data_urls():
    response = ProjectStaticFetcher().fetch("data:text/plain;base64,Q1FQSQ==")
    assert response.read() == b"CQPI"


def test_a_missing_project_asset_fails_the_render_loudly():
    with pytest.raises(PDFAssetMissing):
        render_pdf('<link rel="stylesheet" href="cqpi-static:pdf/does-not-exist.css"><p>x</p>')


def test_a_blocked_resource_is_skipped_and_the_rest_is_rendered():
    with canary_server() as canary:
        data = render_pdf(f'<p>Texte conservé</p><img src="{canary.url("skipped")}">')
        assert canary.hits == []
    assert "Texte conservé" in pdf_text(data)


def test_raw_html_pointing_everywhere_at_the_canary_makes_no_request():
    with canary_server() as canary:
        u = canary.url
        html = f"""<!DOCTYPE html><html><head>
<base href="{u("base/")}">
<link rel="stylesheet" href="{u("link.css")}">
<link rel="attachment" href="{u("attachment-link")}">
<style>
@import url({u("import.css")});
@font-face {{ font-family: Canary; src: url({u("font.woff")}); }}
body {{ background: url({u("background.png")}); font-family: Canary, serif; }}
li {{ list-style-image: url({u("bullet.png")}); }}
h1::before {{ content: url({u("content.png")}); }}
p {{ border-image: url({u("border.png")}) 30 round; }}
</style></head><body>
<h1>Titre</h1><p>Paragraphe</p><ul><li>Élément</li></ul>
<img src="{u("img.png")}"><img src="relative.png">
<object data="{u("object.svg")}" type="image/svg+xml"></object>
<embed src="{u("embed.svg")}" type="image/svg+xml">
<a rel="attachment" href="{u("attachment-a")}">pièce jointe</a>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">
<image href="{u("svg-image.png")}" width="20" height="20"/>
<image xlink:href="{u("svg-xlink.png")}" width="20" height="20"/>
<use href="{u("sprite.svg#a")}"/>
</svg>
<img src="data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'><image href='{u("nested.png")}' width='9' height='9'/></svg>">
<img src="file:///etc/passwd"><iframe src="{u("iframe")}"></iframe>
</body></html>"""
        data = render_pdf(html)
        assert canary.hits == []
    text = pdf_text(data)
    assert "Paragraphe" in text and "root:x:0:0" not in text


def test_french_dates_use_the_ordinal_for_the_first_of_the_month():
    assert french_date(datetime.date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date("2026-11-28") == "28 novembre 2026"
    assert french_date(None) == ""


def test_the_signature_image_is_copied_at_issue_and_printed(cast):
    from django.core.files.base import ContentFile

    cast.branch_a.signatory_image.save("signature.png", ContentFile(signature_png("navy")))
    signed, _ = issue_and_render(cast, last_name="Avec", first_name="Signature")
    navy = signed.snapshot["signatory"]["image"]
    cast.branch_a.signatory_image.save("signature.png", ContentFile(signature_png("teal")))
    # The first certificate keeps the image it was issued with; the next one has the new one.
    assert navy.startswith("data:image/png;base64,")
    assert Certificate.objects.get(pk=signed.pk).snapshot["signatory"]["image"] == navy
    later, _ = issue_and_render(cast, last_name="Après", first_name="Changement")
    assert later.snapshot["signatory"]["image"] not in (None, navy)

    unsigned = copy.deepcopy(signed)
    unsigned.snapshot["signatory"]["image"] = None

    def images(data: bytes) -> int:
        return len(pdf_reader(data).pages[0].images)

    assert images(stored_pdf(signed)) == images(render_certificate_pdf(unsigned)) + 1


# --- The holder's name in one form ("Prénom NOM", core.text.person_name) --------------


def test_the_document_prints_the_name_in_its_one_form_and_the_snapshot_keeps_it_as_typed(cast):
    certificate, text = issue_and_render(cast, first_name="inès", last_name="Bernard-Lefèvre")
    holder = certificate.snapshot["holder"]
    assert (holder["first_name"], holder["last_name"]) == ("inès", "Bernard-Lefèvre")
    assert holder["name"] == certificate.holder_name == "Inès BERNARD-LEFÈVRE"
    assert "Inès BERNARD-LEFÈVRE" in text
    assert "inès" not in text


def test_a_snapshot_made_before_the_form_prints_the_names_as_it_always_did(cast):
    """Decision 0003: a snapshot is never rewritten, and re-rendering reproduces its text."""
    from certifications.compliance import document_problems, rendered_text

    certificate = award(cast).certificates.get()
    old = copy.deepcopy(certificate.snapshot)
    del old["holder"]["name"]
    certificate.snapshot = old
    markup = rendering.certificate_html(certificate)
    text = rendered_text(markup)
    assert "Léa Durand" in text and "DURAND" not in text
    assert document_problems(snapshot=old, markup=markup) == []


def test_the_gate_finds_a_document_that_lost_the_holders_name(cast):
    from certifications.compliance import document_problems

    certificate = award(cast).certificates.get()
    markup = rendering.certificate_html(certificate).replace("Léa DURAND", "Léa")
    codes = {p.code for p in document_problems(snapshot=certificate.snapshot, markup=markup)}
    assert "mention_missing_holder" in codes
