"""Isolation cases for the CPNE staff portal: dashboard, exports, imports, certificates, référentiels."""

from __future__ import annotations

from typing import Any

from django.shortcuts import resolve_url

from candidates import imports

from .framework import Case, listing, sides
from .world import World

STAFF = frozenset({"admin", "staff_a"})
STAFF_BOTH = frozenset({"admin", "staff_a", "staff_b"})


def _preview_url(name: str, side: str) -> Any:
    """An (empty) import preview kept for the staff of `side`: it is theirs alone."""

    def build(world: World) -> str:
        owner = getattr(world, side)
        preview = imports.Preview(
            branch_id=owner.branch.pk, user_id=owner.staff.pk, filename="candidats.csv"
        )
        return resolve_url(name, imports.store_preview(preview))

    return build


def _preview_case(name: str, method: str) -> Case:
    targets = {"a": _preview_url(name, "a"), "b": _preview_url(name, "b")}
    # Only the person who uploaded the file may see or confirm its preview, not even
    # the national administrator.
    owner = frozenset({"staff_a"})
    if method == "GET":
        return Case(name, targets, read=owner)
    return Case(name, targets, methods=("POST",), write=owner)


CASES = [
    Case("candidates:dashboard", listing("candidates:dashboard"), read=STAFF_BOTH),
    Case("candidates:dossier_export", listing("candidates:dossier_export"), read=STAFF_BOTH),
    Case(
        "candidates:certificate_export",
        listing("candidates:certificate_export"),
        read=STAFF_BOTH,
    ),
    Case(
        "candidates:import_upload",
        listing("candidates:import_upload"),
        methods=("GET", "POST"),
        read=STAFF_BOTH,
        write=STAFF_BOTH,
    ),
    Case("candidates:import_template", listing("candidates:import_template"), read=STAFF_BOTH),
    _preview_case("candidates:import_preview", "GET"),
    _preview_case("candidates:import_confirm", "POST"),
    # --- Certificates
    Case(
        "certifications:certificate_list",
        listing("certifications:certificate_list"),
        read=STAFF_BOTH,
    ),
    Case(
        "certifications:certificate_detail",
        sides("certifications:certificate_detail", "certificate"),
        read=STAFF,
    ),
    Case(
        "certifications:certificate_revoke",
        sides("certifications:certificate_revoke", "certificate"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"revoke-reason": "Erreur de saisie", "revoke-confirm": "on"},
    ),
    Case(
        "certifications:certificate_reissue",
        sides("certifications:certificate_reissue", "certificate"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {
            "reissue-first_name": "Cand",
            "reissue-last_name": "Corrigé",
            "reissue-reason": "Correction du nom",
        },
    ),
    Case(
        "certifications:certificate_retry_render",
        sides("certifications:certificate_retry_render", "certificate"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "evaluations:session_certificates",
        sides("evaluations:session_certificates", "open_session"),
        read=STAFF,
    ),
    Case(
        "evaluations:session_certificates_zip",
        sides("evaluations:session_certificates_zip", "open_session"),
        read=STAFF,
    ),
    # --- Référentiels: national content, browsed and adopted by any branch's staff
    Case(
        "certifications:referentiel_list",
        listing("certifications:referentiel_list"),
        read=STAFF_BOTH,
    ),
    Case(
        "certifications:referentiel_detail",
        {"list": lambda w: resolve_url("certifications:referentiel_detail", w.referentiel.pk)},
        read=STAFF_BOTH,
    ),
    Case(
        "certifications:referentiel_adopt",
        {"list": lambda w: resolve_url("certifications:referentiel_adopt", w.referentiel.pk)},
        methods=("POST",),
        write=STAFF_BOTH,
        data=lambda w, t: {"branch": w.a.branch.pk, "accord_date": "2024-01-15"},
        # Both branches of the world have adopted it: the form is served again, refused.
        ok_statuses=frozenset({400}),
    ),
]
