"""The XML builder against the Caisse's schema: every access route, nillable fields, a
holder born abroad, a postal code; and the schema refusing what it must."""

from __future__ import annotations

import datetime

import pytest
from lxml import etree

from candidates.models import AccessRoute
from declarations import flux as cdc

from .conftest import xsd_path

XSI_NIL = f"{{{cdc.XSI}}}nil"


def holder(**changes: object) -> cdc.Holder:
    values: dict[str, object] = {
        "birth_name": "Durand",
        "usage_name": "",
        "first_names": ["Léa"],
        "birth_date": datetime.date(1990, 3, 14),
        "sex": "F",
        "birth_insee_code": "69123",
        "birth_postal_code": "",
        "birth_commune_label": "Lyon",
        "birth_country_code": "100",
        "birth_country_label": "France",
        **changes,
    }
    return cdc.Holder(**values)  # type: ignore[arg-type]


def award(route: str = AccessRoute.CONTINUING, **changes: object) -> cdc.Award:
    values: dict[str, object] = {
        "id_technique": f"ALPHA-2026-{route}",
        "proof_url": "https://cqpi.example.org/verifier/abc/",
        "valid_from": datetime.date(2026, 11, 2),
        "valid_until": None,
        "access_route": route,
        "registered_on": datetime.date(2026, 1, 5),
        "holder": holder(),
        **changes,
    }
    return cdc.Award(**values)  # type: ignore[arg-type]


def document(*awards: cdc.Award, code: str = "RNCP35174") -> bytes:
    return cdc.build(
        reference="ALPHA-CDC-20261204-1",
        at=datetime.datetime(
            2026, 12, 4, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        ),
        client_id="CLI00001",
        contract_id="MCFCERTIF-0001",
        groups=[cdc.CertificationGroup(kind="RNCP", code=code, awards=list(awards))],
    )


def test_the_schema_is_found_where_the_settings_say() -> None:
    assert xsd_path().name == "cpf-accrochage-1.1.2.xsd"
    assert cdc.schema() is not None


def test_every_access_route_has_a_modalite_of_the_schema() -> None:
    schema = etree.parse(str(xsd_path()))
    allowed = set(
        schema.xpath(
            "//xsd:simpleType[@name='modaliteAcces']//xsd:enumeration/@value",
            namespaces={"xsd": "http://www.w3.org/2001/XMLSchema"},
        )
    )
    assert set(cdc.MODALITE_ACCES) == set(AccessRoute.values)
    assert set(cdc.MODALITE_ACCES.values()) <= allowed


def test_a_flux_of_several_awards_one_per_route_is_valid() -> None:
    awards = [award(route) for route in AccessRoute.values]
    content = document(*awards)
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    ns = {"cpf": cdc.NS}
    assert len(tree.findall(".//cpf:passageCertification", ns)) == len(AccessRoute.values)
    modes = [e.text for e in tree.findall(".//cpf:modaliteAcces", ns)]
    assert modes == [cdc.MODALITE_ACCES[route] for route in AccessRoute.values]
    # The VAE route says which one.
    assert [e.text for e in tree.findall(".//cpf:voieAccessVAE", ns)] == ["VAE_CLASSIQUE"]


def test_nillable_fields_are_present_with_xsi_nil() -> None:
    content = document(award())
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    ns = {"cpf": cdc.NS}
    for name in ("dateFinValidite", "scoring", "mentionValidee", "nomUsage"):
        (element,) = tree.findall(f".//cpf:{name}", ns)
        assert element.get(XSI_NIL) == "true", name
        assert element.text is None


def test_present_values_replace_the_nils() -> None:
    content = document(
        award(valid_until=datetime.date(2031, 11, 2), holder=holder(usage_name="Martin"))
    )
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    ns = {"cpf": cdc.NS}
    assert tree.findtext(".//cpf:dateFinValidite", namespaces=ns) == "2031-11-02"
    assert tree.findtext(".//cpf:nomUsage", namespaces=ns) == "Martin"


def test_a_holder_born_abroad_is_valid() -> None:
    abroad = holder(
        birth_insee_code="99134",
        birth_commune_label="Madrid",
        birth_country_code="134",
        birth_country_label="Espagne",
        first_names=["José", "María", "Luisa"],
    )
    content = document(award(holder=abroad))
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    ns = {"cpf": cdc.NS}
    assert tree.findtext(".//cpf:codeInsee", namespaces=ns) == "99134"
    assert tree.findtext(".//cpf:codePaysNaissance", namespaces=ns) == "134"
    assert tree.findtext(".//cpf:prenom3", namespaces=ns) == "Luisa"


def test_a_postal_code_and_a_corsican_insee_code_are_valid() -> None:
    content = document(
        award(AccessRoute.VAE, holder=holder(birth_insee_code="", birth_postal_code="20000")),
        award(AccessRoute.DIRECT, holder=holder(birth_insee_code="2A004")),
    )
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    assert tree.findtext(".//cpf:codePostal", namespaces={"cpf": cdc.NS}) == "20000"


def test_the_schema_refuses_a_broken_flux() -> None:
    # The check is real: a birth name over 60 characters, a bad sex, a missing contract.
    assert cdc.errors(document(award(holder=holder(birth_name="X" * 61))))
    assert cdc.errors(document(award(holder=holder(sex="X"))))
    content = document(award()).replace(b"MCFCERTIF-0001", b"")
    assert cdc.errors(content)


def test_a_missing_schema_fails_loudly(settings: object) -> None:
    settings.CDC_XSD_PATH = "/nonexistent/cpf.xsd"  # type: ignore[attr-defined]
    with pytest.raises(cdc.SchemaMissing, match="CDC_XSD_PATH"):
        cdc.schema()
