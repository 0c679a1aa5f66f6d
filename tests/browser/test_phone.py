"""The evaluator's grid on a phone (375 px): nothing wider than the screen, no word broken
mid-word, every control a touch target of at least 44 px."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from candidates import services as dossier_services
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind
from tests.workflow import open_dossier

MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll(
      'main button, main input, main select, main textarea, main summary, main label:has(> input)')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (el.tagName === 'INPUT' && ['radio', 'checkbox', 'hidden'].includes(el.type)) continue;
    if (box.height < 44) small.push(`${el.tagName} ${el.name || el.innerText.trim()} ${box.height}`);
  }
  const midword = [...document.querySelectorAll('main td, main th, main label')].filter(
    (el) => ['anywhere'].includes(getComputedStyle(el).overflowWrap)
      || getComputedStyle(el).wordBreak === 'break-all').length;
  const labels = [...document.querySelectorAll('.indicators td:first-child')].map(
    (el) => el.getBoundingClientRect().width);
  return {width: document.scrollingElement.scrollWidth, small, midword,
          narrowest: labels.length ? Math.min(...labels) : null};
}"""


def test_the_grid_is_comfortable_at_375_px(
    browser: Any, live_server: Any, live_cast: Any, screenshot: Any
) -> None:
    cast = live_cast
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Adresse e-mail").fill(cast.evaluator.email)
    page.get_by_label("Mot de passe").fill("secret-password-123")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()

    page.goto(live_server.url + reverse("evaluations:sheet", args=[evaluation.sheets.get().pk]))
    measured = page.evaluate(MEASURE)
    screenshot(page, "grid-375")
    context.close()

    assert measured["width"] <= 375, measured
    assert measured["midword"] == 0, measured
    assert measured["small"] == [], measured
    # Each indicator's label has the whole width, not a third of it.
    assert measured["narrowest"] is not None and measured["narrowest"] > 300, measured
