"""The staff's pages of certificates issued before the platform, and the public lookup."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.factories_historic import HistoricCertificateFactory

pytestmark = pytest.mark.django_db

LIST = reverse("historic:historic_list")
LOOKUP = reverse("historic:verify_lookup")


@pytest.fixture
def records(cast: Any) -> dict[str, Any]:
    return {
        "a": HistoricCertificateFactory.create(
            branch=cast.branch_a,
            referentiel=cast.referentiel,
            number="ALP-2008-00042",
            last_name="Écroubert",
            usage_name="Martin",
            first_name="Léa",
        ),
        "b": HistoricCertificateFactory.create(
            branch=cast.branch_b,
            referentiel=cast.referentiel,
            number="BET-2009-00007",
            last_name="Vitrinel",
        ),
    }


def detail(record: Any) -> str:
    return reverse("historic:historic_detail", args=[record.pk])


def test_anonymous_people_are_sent_to_the_login_page(client: Any, records: Any) -> None:
    for url in (LIST, detail(records["a"]), reverse("historic:import_upload")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who", ["evaluator", "jury_employer", "candidate_user", "coc_observer"])
def test_other_roles_are_refused(client: Any, cast: Any, records: Any, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(LIST).status_code == 403
    assert client.get(detail(records["a"])).status_code == 403
    assert client.get(reverse("historic:import_template")).status_code == 403


def test_the_upload_page_offers_the_historic_files_and_columns(client: Any, cast: Any) -> None:
    from historic import imports

    client.force_login(cast.staff_a)
    page = client.get(reverse("historic:import_upload")).content.decode()
    assert f'href="{reverse("historic:import_template")}?format=csv"' in page
    assert all(f"<strong>{escape(name)}</strong>" in page for name, _, _ in imports.column_help())
    assert 'enctype="multipart/form-data"' in page


def test_staff_see_their_branch_records_only(client: Any, cast: Any, records: Any) -> None:
    client.force_login(cast.staff_a)
    page = client.get(LIST).content.decode()
    assert "ALP-2008-00042" in page and "BET-2009-00007" not in page
    assert client.get(detail(records["b"])).status_code == 404
    response = client.get(detail(records["a"]))
    assert response.status_code == 200
    assert "Délivré avant la plateforme" in response.content.decode()
    assert "antérieure à la plateforme" in response.content.decode()


def test_the_national_administrator_sees_every_branch(client: Any, cast: Any, records: Any) -> None:
    client.force_login(cast.admin)
    page = client.get(LIST).content.decode()
    assert "ALP-2008-00042" in page and "BET-2009-00007" in page
    assert client.get(detail(records["b"])).status_code == 200


def test_the_list_costs_the_same_queries_whatever_its_length(
    client: Any, cast: Any, records: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(cast.staff_a)
    client.get(LIST)  # warm the session and roles
    HistoricCertificateFactory.create_batch(30, branch=cast.branch_a, referentiel=cast.referentiel)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.content.decode().count("/certificats-anterieurs/") >= 31


# --- The public lookup -----------------------------------------------------------------


def lookup(client: Any, **data: str) -> Any:
    values = {"number": "ALP-2008-00042", "last_name": "Écroubert", "birth_date": "14/03/1980"}
    return client.post(LOOKUP, values | data)


def test_anyone_finds_a_record_by_its_number_and_the_holders_name_and_birth_date(
    client: Any, records: Any
) -> None:
    response = lookup(client, number="alp 2008 00042", last_name="ECROUBERT")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Document délivré avant la plateforme" in page and "Léa ÉCROUBERT" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # The usage name written on the paper finds it too.
    assert lookup(client, last_name="Martin").status_code == 200


@pytest.mark.parametrize(
    "wrong",
    [{"number": "ALP-2008-00043"}, {"last_name": "Durand"}, {"birth_date": "15/03/1980"}],
)
def test_one_wrong_field_gets_the_same_answer_as_nothing(
    client: Any, records: Any, wrong: dict[str, str]
) -> None:
    response = lookup(client, **wrong)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Aucun document délivré avant la plateforme ne correspond" in page
    # What the visitor typed comes back in the form; nothing of the record does.
    assert "Léa" not in page and "Branche Alpha" not in page


def test_the_lookup_form_is_refused_without_its_fields(client: Any) -> None:
    assert client.get(LOOKUP).status_code == 200
    assert client.post(LOOKUP, {}).status_code == 400


def test_the_verification_pages_lead_to_the_lookup(client: Any) -> None:
    page = client.get(reverse("certifications:verify", args=["inconnu"])).content.decode()
    assert LOOKUP in page
    assert LOOKUP in client.get(reverse("certifications:verify_document")).content.decode()
