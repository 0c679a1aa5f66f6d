"""Accessibility: axe-core finds no serious or critical violation on the pages each role uses.

axe-core is pinned in tests/browser/package.json and installed by `make test-deps` (npm ci);
it is evaluated in the page through Playwright (a context that bypasses the page's CSP, which
rightly forbids injected scripts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from certifications.models import Certificate
from certifications.services import certificate_store_pdf
from evaluations.models import EvaluationSheet
from tests.workflow import award, open_session, ready_for_jury

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


WIDTHS = {"desktop": 1280, "tablet": 768, "phone": 375}


@pytest.fixture(params=list(WIDTHS))
def axe_page(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    """A page at each width the issue names: desktop, tablet (768 px) and phone (375 px)."""
    assert AXE.exists(), f"{AXE} is missing: run `make test-deps` (npm ci in tests/browser)"
    width = WIDTHS[request.param]
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    yield page
    context.close()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG 2.x A and AA on the current page."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def check(page: Any, url: str) -> list[dict[str, Any]]:
    page.goto(url)
    return [{"url": url, **v} for v in violations(page)]


def test_the_pages_of_every_role_have_no_serious_accessibility_violation(
    axe_page: Any, live_server: Any, live_cast: Any, log_in: Any
) -> None:
    cast, base = live_cast, live_server.url
    decision = award(cast)
    certificate = Certificate.objects.get(decision=decision)
    # Rendered, so that the candidate's page shows the signed credential's section.
    certificate_store_pdf(certificate_id=certificate.pk)
    scheduled = ready_for_jury(cast, candidate=cast.other_candidate)
    session = open_session(cast, [scheduled])
    sheet = EvaluationSheet.objects.filter(evaluator=cast.evaluator).first()
    assert sheet is not None

    pages: dict[str, tuple[Any, list[str]]] = {
        "anonymous": (
            None,
            [
                reverse("accounts:login"),
                reverse("certifications:verify", args=[certificate.verification_code]),
                reverse("certifications:verify_document"),
                reverse("credentials:verify"),
            ],
        ),
        "staff": (
            cast.staff_a,
            [
                reverse("candidates:dashboard"),
                reverse("candidates:dossier_list"),
                reverse("candidates:dossier_detail", args=[decision.dossier_id]),
                reverse("candidates:dossier_open"),
                reverse("evaluations:session_detail", args=[session.pk]),
                reverse("evaluations:decision_record", args=[session.pk, scheduled.pk]),
                reverse("certifications:certificate_list"),
                reverse("administration:branch_settings", args=[cast.branch_a.pk]),
                reverse("accounts:account"),
            ],
        ),
        "evaluator": (
            cast.evaluator,
            [reverse("evaluations:sheet_list"), reverse("evaluations:sheet", args=[sheet.pk])],
        ),
        "jury": (
            cast.jury_employer,
            [
                reverse("evaluations:session_list"),
                reverse("evaluations:decision_record", args=[session.pk, scheduled.pk]),
            ],
        ),
        "candidate": (
            cast.candidate_user,
            [
                reverse("space:home"),
                reverse("space:personal_data"),
                reverse("space:dossier_detail", args=[decision.dossier_id]),
            ],
        ),
    }
    found: list[dict[str, Any]] = []
    for _role, (user, urls) in pages.items():
        if user is not None:
            log_in(axe_page, user)
        for url in urls:
            found += check(axe_page, base + url)
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_the_check_catches_a_real_violation(axe_page: Any) -> None:
    """The harness itself: an image without text and a field without a label are found."""
    axe_page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    found = {v["id"] for v in violations(axe_page)}
    assert {"image-alt", "label"} <= found
