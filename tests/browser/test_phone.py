"""The evaluator's grid on a phone (375 px): nothing wider than the screen, no word broken
mid-word, every control a touch target of at least 44 px."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.workflow import assigned_sheet, award

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


LISTS = """() => {
  const width = document.documentElement.clientWidth;
  const out = {width: document.scrollingElement.scrollWidth, overflowing: [], offscreen: [],
               small: [], midword: [], cards: document.querySelectorAll('main table.cards').length,
               rows: document.querySelectorAll('main table tbody tr').length};
  for (const wrap of document.querySelectorAll('main .table-wrap, main table')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) out.overflowing.push(wrap.className || wrap.tagName);
  }
  for (const cell of document.querySelectorAll('main td, main tbody th')) {
    if (cell.scrollWidth > cell.clientWidth + 1) out.overflowing.push(cell.innerText.slice(0, 40));
    const style = getComputedStyle(cell);
    if (style.overflowWrap === 'anywhere' || style.wordBreak === 'break-all') out.midword.push(cell.innerText.slice(0, 40));
  }
  for (const badge of document.querySelectorAll('main table .badge')) {
    const box = badge.getBoundingClientRect();
    if (box.left < 0 || box.right > width) out.offscreen.push(badge.innerText);
  }
  for (const el of document.querySelectorAll(
      'main table a, main table button, main .button, main button, main select, main input, main .pagination a')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (el.tagName === 'INPUT' && ['radio', 'checkbox', 'hidden'].includes(el.type)) continue;
    if (box.height < 44) out.small.push(`${el.tagName} ${(el.name || el.innerText).trim().slice(0, 30)} ${Math.round(box.height)}`);
  }
  return out;
}"""


def test_the_lists_are_comfortable_at_375_px(
    browser: Any, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    """Every list of the portal on a phone: rows become cards, the status in view, nothing
    scrolls sideways, no word broken, every link and button a 44 px target."""
    cast = live_cast
    award(cast)
    assigned_sheet(cast)
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    pages = {
        cast.staff_a: [
            reverse("candidates:dashboard"),
            reverse("candidates:dossier_list"),
            reverse("certifications:certificate_list"),
            reverse("evaluations:session_list"),
            reverse("administration:branch_members", args=[cast.branch_a.pk]),
            reverse("administration:branch_evaluators", args=[cast.branch_a.pk]),
            reverse("administration:branch_companies", args=[cast.branch_a.pk]),
            reverse("certifications:referentiel_list"),
            reverse("audit:list"),
            reverse("declarations:branch", args=[cast.branch_a.pk]),
            reverse("privacy:request_list"),
            reverse("accounts:account"),
        ],
        cast.evaluator: [reverse("evaluations:sheet_list")],
    }
    measured = {}
    for user, urls in pages.items():
        log_in(page, user)
        for url in urls:
            page.goto(live_server.url + url)
            measured[url] = page.evaluate(LISTS)
            screenshot(page, url.strip("/").replace("/", "-") or "home")
    context.close()

    faults = {
        url: m
        for url, m in measured.items()
        if m["width"] > 375 or m["overflowing"] or m["offscreen"] or m["small"] or m["midword"]
    }
    assert not faults, faults
    # The lists were there to measure, and became cards.
    listed = reverse("candidates:dossier_list")
    assert measured[listed]["rows"] >= 2 and measured[listed]["cards"] == 1, measured[listed]
