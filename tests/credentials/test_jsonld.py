"""Canonicalization: the kept type-scoped contexts give exactly what pyld alone gives."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pyld import jsonld

from credentials import issuing
from credentials.jsonld import _Processor, canonize, vendored_loader
from tests.credentials.test_proofs import VECTOR, W3C, w3c_loader


def pyld_alone(document: dict[str, Any], loader: Any = vendored_loader) -> str:
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "safe": True,
    }
    return jsonld.normalize(copy.deepcopy(document), options)


def snapshot(*, kind: str = "full", blocs: int = 3, capacities: int = 3, **extra: Any) -> dict:
    return {
        "kind": kind,
        "number": "CQPI-2026-000123",
        "issued_on": "2026-11-20",
        "holder": {"name": "Camille MARTIN"},
        "recipient": {"identity_hash": "sha256$" + "ab" * 32, "salt": "0f1e2d"},
        "branch": {"name": "Métallurgie"},
        "cqpi": {"code": "LOG", "version": 2, "title": "Agent logistique", "level": 3},
        "blocs": [
            {
                "code": f"B{b}",
                "title": f"Bloc {b}",
                "complete": kind == "full" or b == 1,
                "capacities": [
                    {"code": f"C{b}.{c}", "title": f"Capacité {b}.{c}"}
                    for c in range(1, capacities + 1)
                ],
            }
            for b in range(1, blocs + 1)
        ],
        **extra,
    }


def credential(**kwargs: Any) -> dict[str, Any]:
    return issuing.build_credential(
        snapshot=snapshot(**kwargs),
        credential_id="https://cqpi.example/verifier/abc",
        issuer_id="did:web:cqpi.example:branches:metallurgie",
        status_entry=issuing.status_entry(list_url="https://cqpi.example/statut/1", index=7),
    )


APPLICATION_DOCUMENTS = {
    "full certificate, registered": lambda: credential(
        registration={"code": "RNCP12345", "kind": "RNCP"}
    ),
    "partial attestation": lambda: credential(
        kind="partial", valid_until="2031-11-20", blocs=4, capacities=5
    ),
    "no capacity, no registration": lambda: credential(blocs=0),
    "holder without email": lambda: {
        **credential(),
        "credentialSubject": {
            **credential()["credentialSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": "Camille MARTIN",
                }
            ],
        },
    },
}


@pytest.mark.parametrize("name", list(APPLICATION_DOCUMENTS))
def test_application_credentials_canonicalize_as_with_pyld_alone(name):
    document = APPLICATION_DOCUMENTS[name]()
    expected = pyld_alone(document)
    # Cold (whatever earlier tests kept) and warm: the same N-Quads as pyld without the kept
    # contexts, which differ between these documents.
    assert canonize(document) == expected
    assert canonize(document) == expected
    assert "Capacit" in expected or name == "no capacity, no registration"


def test_the_published_vectors_canonicalize_as_with_pyld_alone():
    vector = VECTOR["credential"]
    assert canonize(vector) == pyld_alone(vector)
    unsigned = json.loads((W3C / "unsigned.json").read_text("utf-8"))
    assert canonize(unsigned, loader=w3c_loader) == pyld_alone(unsigned, w3c_loader)
    assert canonize(unsigned, loader=w3c_loader) == (W3C / "canonDocDataInt.txt").read_text("utf-8")


def test_documents_in_turn_each_get_their_own_canonical_form():
    """Kept contexts are shared by documents of the same types: alternating documents that
    differ (other capacities, other validity, another holder) never borrow each other's."""
    documents = [make() for make in APPLICATION_DOCUMENTS.values()]
    expected = [pyld_alone(document) for document in documents]
    assert len(set(expected)) == len(expected)
    for _ in range(2):
        assert [canonize(document) for document in documents] == expected


def test_a_type_scoped_context_is_processed_once(monkeypatch):
    canonize(credential())  # the credential's types have been applied once
    applied: list[Any] = []
    process = jsonld.JsonLdProcessor._process_context

    def counted(self, active_ctx, local_ctx, options, *args, **kwargs):
        if kwargs.get("propagate") is False:
            applied.append(local_ctx)
        return process(self, active_ctx, local_ctx, options, *args, **kwargs)

    monkeypatch.setattr(jsonld.JsonLdProcessor, "_process_context", counted)
    other = credential(kind="partial", valid_until="2030-01-01", blocs=2, capacities=6)
    assert canonize(other) == pyld_alone(other)
    # pyld alone applied the types' contexts again (Result, ResultDescription, Achievement…)…
    alone = len(applied)
    assert alone > 10
    applied.clear()
    # …the application's canonicalization of yet another credential applies none again.
    canonize(credential(blocs=5, capacities=2))
    assert applied == []


def inline(iri: str) -> dict[str, Any]:
    """A document whose own context gives the type `Thing` a scoped context of its own."""
    return {
        "@context": {
            "@version": 1.1,
            "Thing": {"@id": "https://example.org/Thing", "@context": {"label": iri}},
        },
        "@type": "Thing",
        "label": "étiquette",
    }


def test_scoped_contexts_of_equal_shape_and_other_content_are_told_apart():
    first, second = inline("https://example.org/a"), inline("https://example.org/b")
    assert "<https://example.org/a>" in canonize(first)
    assert "<https://example.org/b>" in canonize(second)
    assert canonize(first) == pyld_alone(first)
    # A document changed in place after being canonicalized is read anew.
    first["@context"]["Thing"]["@context"]["label"] = "https://example.org/c"
    assert "<https://example.org/c>" in canonize(first)


def test_kept_contexts_are_bounded():
    for number in range(int(_Processor._kept.maxsize) + 20):
        canonize(inline(f"https://example.org/{number}"))
    assert len(_Processor._kept) <= _Processor._kept.maxsize
