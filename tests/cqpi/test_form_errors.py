"""Every form error is tied to its field: the invalid field names its error with
aria-describedby, and every error list on the page is named by a field (#20 item 6).

Forms written by Django's renderer (core/form_renderer.py) and the fields a template writes by
hand (login, password reset, the grid, the deliberation) are both covered: each page below is
posted with errors and its HTML read back.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from lxml import html


def _faults(content: bytes) -> list[str]:
    doc = html.fromstring(content)
    faults = []
    invalid = doc.xpath('//*[@aria-invalid="true"]')
    for field in invalid:
        ids = (field.get("aria-describedby") or "").split()
        errors = [doc.get_element_by_id(i, None) for i in ids]
        if not any(e is not None and e.text_content().strip() for e in errors):
            faults.append(f"{field.get('name')}: no error named by aria-describedby ({ids})")
    named = {
        i for el in doc.xpath("//*[@aria-describedby]") for i in el.get("aria-describedby").split()
    }
    for error in doc.xpath(
        '//main//*[contains(@class, "errorlist") or contains(@class, "field__error")]'
    ):
        holder = error if error.get("id") else error.getparent()
        if holder.get("id") not in named:
            faults.append(f"error {error.text_content().strip()!r} is named by no field")
    if not invalid:
        faults.append("no invalid field: the page was meant to show errors")
    return faults


def test_the_dossier_form_ties_each_error_to_its_field(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(reverse("candidates:dossier_open"), {"last_name": "X"})
    assert response.status_code == 200
    assert _faults(response.content) == []


def test_the_password_reset_form_ties_its_error_to_the_address(client: Any, db: Any) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert _faults(response.content) == []


def test_the_login_form_ties_its_error_to_the_address(client: Any, db: Any) -> None:
    response = client.post(reverse("accounts:login"), {"username": "", "password": "x"})
    assert response.status_code == 200
    assert _faults(response.content) == []


def test_the_branch_settings_tie_each_error_to_its_field(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    url = reverse("administration:branch_settings", args=[cast.branch_a.pk])
    response = client.post(url, {"quorum_minimum": "-1"})
    assert response.status_code == 200
    assert _faults(response.content) == []


def test_the_check_finds_an_error_no_field_names(db: Any) -> None:
    page = (
        b'<html><body><main><input name="a" aria-invalid="true">'
        b'<ul class="errorlist" id="id_a_error"><li>Faux</li></ul></main></body></html>'
    )
    assert len(_faults(page)) == 2
