"""The evaluator's grid on a phone (375 px): nothing wider than the screen, no word broken
mid-word, every control a touch target of at least 44 px."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.workflow import assigned_sheet

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
    browser: Any, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    sheet = assigned_sheet(cast)
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    log_in(page, cast.evaluator)

    page.goto(live_server.url + reverse("evaluations:sheet", args=[sheet.pk]))
    measured = page.evaluate(MEASURE)
    screenshot(page, "grid-375")
    context.close()

    assert measured["width"] <= 375, measured
    assert measured["midword"] == 0, measured
    assert measured["small"] == [], measured
    # Each indicator's label has the whole width, not a third of it.
    assert measured["narrowest"] is not None and measured["narrowest"] > 300, measured
