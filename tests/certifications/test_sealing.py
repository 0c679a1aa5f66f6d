"""The issued PDFs are PDF/A-3b and sealed (PAdES): the seal verifies against the trust root,
one changed byte breaks it, and a failed seal is a failed render, never an unsealed file."""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from certifications import sealing
from certifications.models import RenderStatus
from certifications.services import certificate_store_pdf
from certifications.tasks import render_certificate
from evaluations.minutes import minutes_store_pdf
from evaluations.models import JurySession
from evaluations.tasks import render_minutes
from tests.certifications.pdfs import decide_partial, pdf_reader, pdf_text, stored_pdf
from tests.evaluations.test_minutes import closed_session
from tests.workflow import award


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def seal_status(data: bytes) -> Any:
    """pyHanko's own verdict on the document's single seal, against the test trust root."""
    root = load_cert_from_pemder(str(sealing.dev_chain().trust_roots))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(signatures) == 1
    assert signatures[0].field_name == sealing.SEAL_FIELD
    # Through the application's own door: a test that ran before in this process (a browser
    # test's driver) may leave an event loop running in this thread, where pyHanko's
    # synchronous API (asyncio.run) refuses to run.
    return sealing._outside_event_loop(
        functools.partial(validate_pdf_signature, signatures[0], context)
    )


def assert_sealed(data: bytes) -> None:
    status = seal_status(data)
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def certificate_pdf(cast: Any) -> tuple[Any, bytes]:
    decision = award(cast)
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    return certificate, stored_pdf(certificate)


def minutes_pdf(session: JurySession) -> bytes:
    session.refresh_from_db()
    with session.minutes.open("rb") as handle:
        return handle.read()


def one_byte_changed(data: bytes) -> bytes:
    """The document with one byte of its first content stream changed (inside the signed range)."""
    altered = bytearray(data)
    position = data.index(b"stream\n") + 40
    altered[position] ^= 0x01
    return bytes(altered)


# --- The seal -----------------------------------------------------------------------------


def test_an_issued_certificate_is_sealed_and_its_hash_is_that_of_the_sealed_bytes(cast):
    import hashlib

    certificate, data = certificate_pdf(cast)
    assert_sealed(data)
    assert certificate.pdf_sha256 == hashlib.sha256(data).hexdigest()


def test_a_partial_attestation_is_sealed(cast):
    decision = decide_partial(cast, validated_codes={"C1.1"})
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    assert certificate.kind == "partial"
    assert_sealed(stored_pdf(certificate))


def test_the_minutes_are_sealed_and_their_hash_stored(cast):
    import hashlib

    session = closed_session(cast)
    minutes_store_pdf(session_id=session.pk)
    data = minutes_pdf(session)
    assert_sealed(data)
    assert session.minutes_sha256 == hashlib.sha256(data).hexdigest()


def test_one_changed_byte_breaks_the_seal(cast):
    _certificate, data = certificate_pdf(cast)
    status = seal_status(one_byte_changed(data))
    assert not status.bottom_line
    assert not status.intact
    assert not sealing.seal_check(one_byte_changed(data)).valid
    assert sealing.seal_check(one_byte_changed(data)).present


def test_the_seal_names_the_document_it_seals(cast):
    certificate, data = certificate_pdf(cast)
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert certificate.number in str(signature.sig_object["/Reason"])


def test_a_seal_by_another_root_is_not_valid_here(cast, tmp_path, settings):
    _certificate, data = certificate_pdf(cast)
    # Another deployment's chain: the document is sealed, but not by a root trusted here.
    other = sealing.dev_chain(tmp_path / "other")
    settings.SEAL_PKCS12_PATH = str(other.pkcs12)
    settings.SEAL_PKCS12_PASSPHRASE = other.passphrase
    settings.SEAL_TRUST_ROOTS = str(other.trust_roots)
    check = sealing.seal_check(data)
    assert not check.valid and not check.present


# --- PDF/A-3b and its metadata ------------------------------------------------------------


def catalog(data: bytes) -> Any:
    return pdf_reader(data).trailer["/Root"]


def info(data: bytes) -> Any:
    return pdf_reader(data).metadata


def xmp(data: bytes) -> str:
    return str(catalog(data)["/Metadata"].get_object().get_data().decode("utf-8"))


def test_the_certificate_declares_pdfa_3b_in_its_xmp_metadata(cast):
    certificate, data = certificate_pdf(cast)
    metadata = xmp(data)
    assert re.search(r'pdfaid:part(="|>)3', metadata)
    assert re.search(r'pdfaid:conformance(="|>)B', metadata)
    document = info(data)
    assert certificate.number in document["/Title"]
    assert document["/Author"] == "Branche Alpha"
    assert "Agent logistique" in document["/Subject"]


def test_the_documents_are_in_french_tagged_and_carry_an_srgb_output_intent(cast):
    _certificate, data = certificate_pdf(cast)
    root = catalog(data)
    assert root["/Lang"] == "fr"
    assert "/StructTreeRoot" in root
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_the_minutes_declare_pdfa_3b(cast):
    session = closed_session(cast)
    minutes_store_pdf(session_id=session.pk)
    data = minutes_pdf(session)
    assert re.search(r'pdfaid:part(="|>)3', xmp(data))
    assert "Procès-verbal" in info(data)["/Title"]
    assert "Procès-verbal du jury paritaire" in pdf_text(data)


# --- A failed seal is a failed render ---------------------------------------------------


@pytest.fixture
def broken_seal(settings: Any, tmp_path: Any) -> None:
    settings.SEAL_PKCS12_PATH = str(tmp_path / "missing.p12")
    settings.SEAL_TRUST_ROOTS = str(tmp_path / "missing.pem")


def test_a_certificate_that_cannot_be_sealed_is_marked_failed_and_stores_nothing(cast, broken_seal):
    decision = award(cast)
    certificate = decision.certificates.get()
    with pytest.raises(Exception):  # noqa: B017 - the task's retry, whatever its class
        render_certificate.apply(args=(certificate.pk,), throw=True)
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.FAILED
    assert "SealError" in certificate.render_error
    assert not certificate.pdf and not certificate.pdf_sha256


def test_minutes_that_cannot_be_sealed_are_not_stored_and_the_failure_is_kept(cast, broken_seal):
    session = closed_session(cast)
    with pytest.raises(Exception):  # noqa: B017 - the task's retry, whatever its class
        render_minutes.apply(args=(session.pk,), throw=True)
    session.refresh_from_db()
    assert not session.minutes and not session.minutes_sha256
    assert "SealError" in session.minutes_render_error


def test_the_staff_see_that_the_minutes_failed(client, cast, broken_seal):
    session = closed_session(cast)
    render_minutes.apply(args=(session.pk,))
    client.force_login(cast.staff_a)
    page = client.get(session.get_absolute_url()).content.decode()
    assert "a échoué" in page


# --- The development chain ---------------------------------------------------------------


def test_the_development_chain_is_made_once_and_kept(tmp_path):
    first = sealing.dev_chain(tmp_path / "seal")
    content = first.pkcs12.read_bytes()
    again = sealing.dev_chain(tmp_path / "seal")
    assert again.pkcs12.read_bytes() == content
    assert again.passphrase == first.passphrase
    signer_cert = sealing._load_kit(first).signer.signing_cert
    assert "NON QUALIFI" in signer_cert.subject.human_friendly


def test_any_fresh_chain_seals(tmp_path, settings):
    # pyHanko refuses an odd room for the signature; a chain's size is odd about half the time.
    from certifications.rendering import render_pdf

    data = render_pdf("<html lang='fr'><head><title>T</title></head><body><p>x</p></body></html>")
    for i in range(6):
        chain = sealing.dev_chain(tmp_path / str(i))
        settings.SEAL_PKCS12_PATH = str(chain.pkcs12)
        settings.SEAL_PKCS12_PASSPHRASE = chain.passphrase
        settings.SEAL_TRUST_ROOTS = str(chain.trust_roots)
        assert sealing.seal_kit().bytes_reserved % 2 == 0
        assert sealing.seal_check(sealing.seal_pdf(data, reason="essai")).valid


def test_the_management_command_makes_the_chain_and_has_a_dry_run(settings, tmp_path):
    from django.core.management import call_command

    settings.SEAL_DEV_DIR = tmp_path / "seal"
    out = io.StringIO()
    call_command("seal_dev_chain", "--dry-run", stdout=out)
    assert "would be created" in out.getvalue()
    assert not (tmp_path / "seal" / "seal.p12").exists()
    call_command("seal_dev_chain", stdout=io.StringIO())
    assert (tmp_path / "seal" / "seal.p12").is_file()


def test_a_seal_that_the_trust_roots_do_not_vouch_for_is_refused(settings, tmp_path):
    ours = sealing.dev_chain(tmp_path / "ours")
    theirs = sealing.dev_chain(tmp_path / "theirs")
    settings.SEAL_PKCS12_PATH = str(ours.pkcs12)
    settings.SEAL_PKCS12_PASSPHRASE = ours.passphrase
    settings.SEAL_TRUST_ROOTS = str(theirs.trust_roots)
    with pytest.raises(sealing.SealError, match="does not chain"):
        sealing.seal_pdf(b"%PDF-1.7 whatever", reason="essai")


def test_a_wrong_passphrase_is_a_seal_error(settings, tmp_path):
    ours = sealing.dev_chain(tmp_path / "ours")
    settings.SEAL_PKCS12_PATH = str(ours.pkcs12)
    settings.SEAL_PKCS12_PASSPHRASE = "pas-la-bonne"
    settings.SEAL_TRUST_ROOTS = str(ours.trust_roots)
    with pytest.raises(sealing.SealError):
        sealing.seal_pdf(b"%PDF-1.7 whatever", reason="essai")


def test_sealing_works_from_a_thread_that_runs_an_event_loop(cast):
    """pyHanko calls asyncio.run(): a caller inside a running loop (an async view, a browser
    test's driver) must still get its seal."""
    import asyncio
    import concurrent.futures

    from certifications.rendering import render_pdf

    data = render_pdf("<html lang='fr'><head><title>T</title></head><body><p>x</p></body></html>")

    async def inside_a_loop() -> bytes:
        return sealing.seal_pdf(data, reason="essai")

    # Each loop in a thread of its own: this test's thread may already run one (a browser
    # test's driver, earlier in the same process), where asyncio.run itself is refused.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        sealed = pool.submit(asyncio.run, inside_a_loop()).result()
        assert_sealed(sealed)

        async def check_inside_a_loop() -> Any:
            return sealing.seal_check(sealed)

        assert pool.submit(asyncio.run, check_inside_a_loop()).result().valid
