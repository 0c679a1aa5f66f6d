"""A branch's settings page: who may reach it, what a change writes, and the signature image's
checks (nothing that would not print is ever accepted, nothing appended to an image is kept)."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from branches.models import Branch, Membership, QuorumRule

pytestmark = pytest.mark.django_db


def url(branch: Branch) -> str:
    return reverse("administration:branch_settings", args=[branch.pk])


def png(width: int = 400, height: int = 120, *, noise: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    if noise:
        image = Image.effect_noise((width, height), 120).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_signature_yet(cast: Any) -> None:
    # These tests start from a branch that has not uploaded its signature image yet (the
    # factory gives every branch one, for the compliance gate).
    Branch.objects.filter(pk=cast.branch_a.pk).update(signatory_image="")
    cast.branch_a.refresh_from_db()


def form_data(branch: Branch, **overrides: Any) -> dict[str, Any]:
    data = {
        "certifier_name": branch.certifier_name,
        "place_of_issue": branch.place_of_issue,
        "signatory_name": "Odile Ferrandier",
        "signatory_title": "Présidente de la CPNE",
        "partial_validity_months": 60,
        "quorum_rule": QuorumRule.choices[0][0],
        "quorum_minimum": 1,
        "majority_rule": branch.majority_rule,
        "reminder_delay_days": branch.reminder_delay_days,
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any) -> None:
    response = client.get(url(cast.branch_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_of_another_branch_do_not_find_it(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    assert client.get(url(cast.branch_a)).status_code == 404
    assert client.post(url(cast.branch_a), form_data(cast.branch_a)).status_code == 404
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.signatory_name != "Odile Ferrandier"


@pytest.mark.parametrize("person", ["jury_employer", "referent_a", "evaluator", "candidate_user"])
def test_other_roles_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(url(cast.branch_a)).status_code in (403, 404)
    assert client.post(url(cast.branch_a), form_data(cast.branch_a)).status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="branch.settings_updated").exists()


def test_a_revoked_membership_closes_it(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.get(url(cast.branch_a)).status_code in (403, 404)


def test_staff_change_the_settings_and_the_trail_holds_before_and_after(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)
    before = cast.branch_a.signatory_name

    response = client.post(url(cast.branch_a), form_data(cast.branch_a, quorum_minimum=2))

    assert response.status_code == 302
    branch = Branch.objects.get(pk=cast.branch_a.pk)
    assert branch.signatory_name == "Odile Ferrandier" and branch.quorum_minimum == 2
    event = AuditEvent.objects.get(action="branch.settings_updated")
    assert event.actor == cast.staff_a and event.branch_id == branch.pk
    assert event.details["changes"]["signatory_name"] == [before, "Odile Ferrandier"]
    assert event.details["changes"]["quorum_minimum"] == [1, 2]


def test_a_national_administrator_runs_every_branch(client: Any, cast: Any) -> None:
    client.force_login(cast.admin)

    assert client.get(url(cast.branch_b)).status_code == 200
    assert client.post(url(cast.branch_b), form_data(cast.branch_b)).status_code == 302


def test_saving_without_a_change_writes_no_event(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.post(url(cast.branch_a), form_data(cast.branch_a))
    client.post(url(cast.branch_a), form_data(cast.branch_a))

    assert AuditEvent.objects.filter(action="branch.settings_updated").count() == 1


def test_a_signature_image_is_stored_cleaned_and_recorded_by_its_digest(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)
    tampered = png() + b"<html><script>alert(1)</script></html>"

    response = client.post(
        url(cast.branch_a),
        {**form_data(cast.branch_a), "signature": SimpleUploadedFile("s.png", tampered)},
    )

    assert response.status_code == 302
    branch = Branch.objects.get(pk=cast.branch_a.pk)
    stored = branch.signatory_image.read()
    assert stored.startswith(b"\x89PNG") and b"<html" not in stored
    event = AuditEvent.objects.get(action="branch.settings_updated")
    assert event.details["changes"]["signatory_image"] == [None, hashlib.sha256(stored).hexdigest()]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("s.png", b"not an image at all", "Type de fichier non accepté"),
        ("s.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "Type de fichier non accepté"),
        ("s.png", png(3000, 200), "trop grande"),
        ("s.png", png(60, 20), "trop petite"),
        ("s.png", png(1400, 1000, noise=True), "pour figurer sur chaque certificat"),
        ("s.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "illisible"),
    ],
)
def test_an_image_that_would_not_print_is_refused_with_the_input_kept(
    client: Any, cast: Any, name: str, data: bytes, message: str
) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        url(cast.branch_a),
        {**form_data(cast.branch_a), "signature": SimpleUploadedFile(name, data)},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert 'value="Odile Ferrandier"' in content
    branch = Branch.objects.get(pk=cast.branch_a.pk)
    assert not branch.signatory_image and branch.signatory_name != "Odile Ferrandier"
    assert not AuditEvent.objects.filter(action="branch.settings_updated").exists()


def test_the_signature_can_be_removed(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.post(
        url(cast.branch_a),
        {**form_data(cast.branch_a), "signature": SimpleUploadedFile("s.png", png())},
    )

    client.post(url(cast.branch_a), {**form_data(cast.branch_a), "remove_signature": "on"})

    assert not Branch.objects.get(pk=cast.branch_a.pk).signatory_image
    last = AuditEvent.objects.filter(action="branch.settings_updated").latest("pk")
    assert last.details["changes"]["signatory_image"][1] is None


def test_format_characters_in_the_signatory_name_are_refused(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        url(cast.branch_a), form_data(cast.branch_a, signatory_name="Odile \u202eFerrandier")
    )

    assert response.status_code == 200
    assert "Odile" not in Branch.objects.get(pk=cast.branch_a.pk).signatory_name


def test_the_admin_shows_the_settings_but_changes_them_only_through_the_portal(
    client: Any, cast: Any
) -> None:
    """The admin's signature upload was a door around the checks: it is closed."""
    client.force_login(cast.admin)
    admin_url = reverse("admin:branches_branch_change", args=[cast.branch_a.pk])
    page = client.get(admin_url).content.decode()
    assert 'name="signatory_image"' not in page and 'name="signatory_name"' not in page

    client.post(
        admin_url,
        {
            "name": cast.branch_a.name,
            "code": cast.branch_a.code,
            "signatory_name": "Porte Dérobée",
            "signatory_image": SimpleUploadedFile("s.png", png() + b"<html>"),
            "charter_signatures-TOTAL_FORMS": "0",
            "charter_signatures-INITIAL_FORMS": "0",
        },
    )

    branch = Branch.objects.get(pk=cast.branch_a.pk)
    assert branch.signatory_name != "Porte Dérobée" and not branch.signatory_image


def test_staff_name_the_certifier_body_on_the_settings_page(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    before = cast.branch_a.certifier_name
    assert 'name="certifier_name"' in client.get(url(cast.branch_a)).content.decode()

    response = client.post(
        url(cast.branch_a),
        form_data(cast.branch_a, certifier_name="CPNEFP de la branche Alpha"),
    )

    assert response.status_code == 302
    assert Branch.objects.get(pk=cast.branch_a.pk).certifier_name == "CPNEFP de la branche Alpha"
    event = AuditEvent.objects.get(action="branch.settings_updated")
    assert event.details["changes"]["certifier_name"] == [before, "CPNEFP de la branche Alpha"]


def test_staff_set_the_cdc_identifiers_of_the_declaration(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(
        url(cast.branch_a), form_data(cast.branch_a, cdc_client_id="CLI1", cdc_contract_id="C1")
    )
    assert response.status_code == 200
    assert "cdc_client_id" in response.context["form"].errors

    response = client.post(
        url(cast.branch_a),
        form_data(cast.branch_a, cdc_client_id="CLI00001", cdc_contract_id="MCFCERTIF-0001"),
    )
    assert response.status_code == 302
    branch = Branch.objects.get(pk=cast.branch_a.pk)
    assert (branch.cdc_client_id, branch.cdc_contract_id) == ("CLI00001", "MCFCERTIF-0001")
    event = AuditEvent.objects.get(action="branch.settings_updated")
    assert event.details["changes"]["cdc_client_id"] == ["", "CLI00001"]


def test_staff_set_the_majority_rule_and_the_chairs_casting_vote(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(
        url(cast.branch_a),
        form_data(cast.branch_a, majority_rule="cast", chair_casting_vote="on"),
    )
    assert response.status_code == 302
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.majority_rule == "cast" and cast.branch_a.chair_casting_vote
    event = AuditEvent.objects.filter(action="branch.settings_updated").latest("pk")
    assert event.details["changes"]["majority_rule"] == ["absolute", "cast"]


def test_staff_set_the_delay_before_reminders(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(url(cast.branch_a), form_data(cast.branch_a, reminder_delay_days=7))
    assert response.status_code == 302
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.reminder_delay_days == 7
    event = AuditEvent.objects.filter(action="branch.settings_updated").latest("pk")
    assert event.details["changes"]["reminder_delay_days"] == [15, 7]
    refused = client.post(url(cast.branch_a), form_data(cast.branch_a, reminder_delay_days=0))
    assert refused.status_code == 200
    cast.branch_a.refresh_from_db()
    assert cast.branch_a.reminder_delay_days == 7
