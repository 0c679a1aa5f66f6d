"""Every role's journey in a browser, at 1280, 768 and 375 px: log in, the landing page, the
pages the role acts on, an action or two, the account page. axe-core checks every page visited
(no serious or critical WCAG 2.1 A/AA violation) and each page is saved as a screenshot under
var/screenshots/<role>/<width>/NN-<page>.png (var/ is not committed) for a person to look at.

One browser context per role; the widths are viewport changes of its page. Each width walks
the same journey, acting on objects of its own where the action changes state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import FilePayload, Page, expect

from candidates.models import Dossier
from certifications.models import Certificate
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind, EvaluationSheet, Proposal
from tests.browser.axe import WIDTHS, axe_source, violations
from tests.browser.conftest import PASSWORD
from tests.factories import CandidateFactory
from tests.workflow import award, open_dossier, open_session, ready_for_jury

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SAVED = re.compile(r"^Enregistré à \d\d:\d\d")


class Journey:
    """One role's walk at one width: each `page()` is checked by axe and photographed."""

    def __init__(self, page: Page, base: str, role: str, width: int) -> None:
        self.page, self.base, self.width = page, base, width
        self.folder = SHOTS / role / str(width)
        self.count = 0
        self.found: list[dict[str, Any]] = []

    def go(self, url: str) -> None:
        response = self.page.goto(self.base + url)
        assert response is not None and response.status < 400, (url, response)

    def click(self, locator: Any) -> None:
        """Click something that submits or navigates, and wait for the next page."""
        with self.page.expect_navigation():
            locator.click()

    def nav(self, name: str) -> None:
        self.click(
            self.page.get_by_role("navigation", name="Navigation principale").get_by_role(
                "link", name=name, exact=True
            )
        )

    def seen(self, name: str) -> None:
        """The page as it stands: no server error, screenshot, axe."""
        assert "Erreur du serveur" not in self.page.title(), self.page.url
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        self.found += [
            {"width": self.width, "page": name, "url": self.page.url, **v}
            for v in violations(self.page)
        ]

    def log_in(self, user: Any) -> None:
        self.page.context.clear_cookies()
        self.go(reverse("accounts:login"))
        self.seen("connexion")
        self.page.get_by_label("Adresse e-mail").fill(user.email)
        self.page.get_by_label("Mot de passe").fill(PASSWORD)
        self.click(self.page.get_by_role("button", name="Se connecter"))
        assert reverse("accounts:login") not in self.page.url, f"login failed for {user.email}"

    def account(self) -> None:
        self.click(self.page.get_by_role("link", name="Mon compte"))
        self.seen("mon-compte")


Walk = Callable[[Journey, int], None]


@pytest.fixture
def journeys(browser: Any, live_server: Any) -> Iterator[Callable[[str, Walk], None]]:
    """`walk(role, steps)`: `steps(journey, i)` at each width (i = 0, 1, 2), one context."""
    axe_source()
    contexts: list[Any] = []

    def walk(role: str, steps: Walk) -> None:
        context = browser.new_context(locale="fr-FR", bypass_csp=True, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        found: list[dict[str, Any]] = []
        for i, width in enumerate(WIDTHS.values()):
            page.set_viewport_size({"width": width, "height": 900})
            journey = Journey(page, live_server.url, role, width)
            steps(journey, i)
            found += journey.found
        assert not found, json.dumps(found, ensure_ascii=False, indent=1)

    yield walk
    for context in contexts:
        context.close()


def test_the_cpne_staff_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    decision = award(cast)
    certificate = Certificate.objects.get(decision=decision)
    session = decision.session
    fresh = [
        open_dossier(cast, candidate=CandidateFactory.create(branch=cast.branch_a)) for _ in WIDTHS
    ]

    def steps(j: Journey, i: int) -> None:
        j.log_in(cast.staff_a)
        j.seen("tableau-de-bord")
        j.nav("Dossiers")
        j.seen("dossiers")
        j.click(j.page.get_by_role("link", name="Ouvrir un dossier"))
        j.seen("ouvrir-un-dossier")
        j.click(j.page.get_by_role("button", name="Ouvrir le dossier"))
        expect(j.page.locator(".form-errors")).to_be_visible()
        j.seen("ouvrir-un-dossier-erreurs")
        j.go(reverse("candidates:dossier_detail", args=[fresh[i].pk]))
        j.seen("dossier-ouvert")
        j.click(j.page.get_by_role("button", name="Démarrer le positionnement"))
        expect(j.page.get_by_text("Positionnement", exact=False).first).to_be_visible()
        j.seen("dossier-positionnement")
        j.nav("Sessions de jury")
        j.seen("sessions")
        j.go(reverse("evaluations:session_detail", args=[session.pk]))
        j.seen("session")
        j.nav("Certificats")
        j.seen("certificats")
        j.go(reverse("certifications:certificate_detail", args=[certificate.pk]))
        j.seen("certificat")
        j.go(reverse("historic:historic_list"))
        j.seen("delivres-avant-la-plateforme")
        j.go(reverse("historic:import_upload"))
        j.seen("import-historique")
        j.nav("Journal d'audit")
        j.seen("audit")
        j.account()

    journeys("cpne", steps)
    assert all(
        dossier.status == "positioning"
        for dossier in Dossier.objects.filter(pk__in=[d.pk for d in fresh])
    )


def _final_evaluation(cast: Any, *, referent: Any = None) -> Any:
    """A dossier in evaluation whose final evaluation is given to the cast's evaluator
    (and the company's référent, as a binôme)."""
    from candidates import services as dossier_services

    dossier = open_dossier(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=referent,
        by=cast.staff_a,
    )


def _scores(j: Journey, user: Any, sheet: EvaluationSheet, role_landing: str) -> None:
    j.log_in(user)
    j.seen(role_landing)
    j.go(reverse("evaluations:sheet", args=[sheet.pk]))
    j.seen("grille")
    first = j.page.locator(".indicators input[type=number]").first
    first.fill("3")
    first.blur()
    expect(j.page.locator("#grid-save-status")).to_have_text(SAVED, timeout=10_000)
    j.seen("grille-enregistree")
    j.account()


def test_the_evaluator_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    sheet = _final_evaluation(cast).sheets.get()
    journeys("evaluateur", lambda j, i: _scores(j, cast.evaluator, sheet, "mes-grilles"))
    sheet.refresh_from_db()
    assert sheet.version > 0


def test_the_company_referent_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    evaluation = _final_evaluation(cast, referent=cast.referent_a)
    sheet = evaluation.sheets.get(evaluator=cast.referent_a)
    journeys("referent", lambda j, i: _scores(j, cast.referent_a, sheet, "mes-grilles"))


def test_the_jury_member_journey(live_cast: Any, journeys: Any) -> None:
    """The chair: their sessions, the session, a dossier's deliberation where they put an
    award to the vote (one dossier per width), their account."""
    cast = live_cast
    scheduled = [
        ready_for_jury(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
        for _ in WIDTHS
    ]
    session = open_session(cast, scheduled)

    def steps(j: Journey, i: int) -> None:
        j.log_in(cast.jury_employer)
        j.seen("sessions")
        j.go(reverse("evaluations:session_detail", args=[session.pk]))
        j.seen("session")
        j.go(reverse("evaluations:decision_record", args=[session.pk, scheduled[i].pk]))
        j.seen("deliberation")
        j.page.get_by_label("Délivrance totale").check()
        j.click(j.page.get_by_role("button", name="Mettre aux voix"))
        j.seen("proposition-aux-voix")
        j.account()

    journeys("jury", steps)
    assert Proposal.objects.filter(dossier__in=scheduled).count() == len(WIDTHS)


def test_the_candidate_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    decision = award(cast)

    def steps(j: Journey, i: int) -> None:
        j.log_in(cast.candidate_user)
        j.seen("mon-espace")
        j.click(j.page.get_by_role("link", name=re.compile(decision.dossier.reference)))
        j.seen("mon-dossier")
        with j.page.expect_download() as download:
            j.page.get_by_role("link", name=re.compile("Télécharger")).first.click()
        assert download.value.suggested_filename.endswith(".pdf")
        # The same document as a signed credential, downloadable and shareable.
        with j.page.expect_download() as credential:
            j.page.get_by_role("link", name="Télécharger mon attestation numérique (JSON)").click()
        assert credential.value.suggested_filename.endswith(".json")
        expect(j.page.get_by_role("link", name="Ajouter à mon profil LinkedIn")).to_be_visible()
        j.go(reverse("space:personal_data"))
        j.seen("mes-donnees")
        j.account()

    journeys("candidat", steps)


def test_the_coc_observer_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    award(cast)

    def steps(j: Journey, i: int) -> None:
        j.log_in(cast.coc_observer)
        j.seen("chiffres")
        j.page.get_by_label("Branche", exact=True).select_option(label=cast.branch_a.name)
        j.click(j.page.get_by_role("button", name="Filtrer"))
        j.seen("chiffres-une-branche")
        j.account()

    journeys("coc", steps)


def test_the_national_administrator_journey(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    award(cast)

    def steps(j: Journey, i: int) -> None:
        j.log_in(cast.admin)
        j.seen("vue-nationale")
        j.go(reverse("administration:branch_members", args=[cast.branch_a.pk]))
        j.seen("membres")
        j.go(reverse("administration:branch_evaluators", args=[cast.branch_a.pk]))
        j.seen("evaluateurs")
        j.go(reverse("administration:branch_companies", args=[cast.branch_a.pk]))
        j.seen("entreprises")
        j.go(reverse("administration:branch_settings", args=[cast.branch_a.pk]))
        j.seen("parametres")
        j.nav("Chiffres")
        j.seen("chiffres")
        j.nav("Journal d'audit")
        j.seen("audit")
        j.account()

    journeys("national", steps)


def test_the_public_verifies_a_certificate(live_cast: Any, journeys: Any) -> None:
    cast = live_cast
    certificate = Certificate.objects.get(decision=award(cast))
    pdf = Path(certificate.pdf.path).read_bytes()

    def steps(j: Journey, i: int) -> None:
        j.page.context.clear_cookies()
        j.go(reverse("certifications:verify", args=[certificate.verification_code]))
        j.seen("verification")
        j.go(reverse("certifications:verify_document"))
        j.seen("verifier-un-document")
        j.page.locator("input[type=file]").set_input_files(
            files=FilePayload(name="certificat.pdf", mimeType="application/pdf", buffer=pdf)
        )
        j.click(j.page.locator("main button[type=submit]"))
        j.seen("document-authentique")
        j.go(reverse("historic:verify_lookup"))
        j.seen("verifier-avant-plateforme")
        j.go(reverse("credentials:verify"))
        j.seen("verifier-une-attestation-numerique")

    journeys("public", steps)
