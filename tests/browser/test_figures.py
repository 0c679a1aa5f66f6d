"""The COC observer reads the national figures in a browser: charts drawn, a branch filter, a CSV."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.figures.dataset import build_dataset

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHARTS = [
    "chart-par-annee",
    "chart-historique",
    "chart-par-voie",
    "chart-par-cqpi",
    "chart-par-branche",
]


def chart_drawn(page: Page, canvas_id: str) -> bool:
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const box = canvas.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && window.Chart.getChart(canvas) !== undefined;
        }""",
        canvas_id,
    )


def test_the_coc_observer_reads_filters_and_downloads_the_figures(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any, settings: Any
) -> None:
    # A private cache: figures computed on another database must not answer here.
    settings.CACHES = {
        **settings.CACHES,  # the layout's fragments stay
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"},
    }
    build_dataset(live_cast)
    problems: list[str] = []
    # Script errors and CSP refusals count; the missing favicon's 404 does not.
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    log_in(page, live_cast.coc_observer)
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="Chiffres").click()
    expect(page.get_by_role("heading", name="Chiffres des CQPI", level=1)).to_be_visible()
    for canvas_id in CHARTS:
        assert chart_drawn(page, canvas_id), canvas_id
    national = page.locator("#table-par-branche tbody tr")
    expect(national).to_have_count(2)
    screenshot(page, "national")

    page.get_by_label("Branche", exact=True).select_option(label="Branche Alpha")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#table-par-branche tbody tr")).to_have_count(1)
    key = page.locator("#table-indicateurs")
    expect(key.get_by_role("row", name="Part des délivrances par la VAE (%)")).to_contain_text(
        "33,3"
    )
    for canvas_id in CHARTS:
        assert chart_drawn(page, canvas_id), canvas_id

    with page.expect_download() as info:
        page.get_by_role("link", name="Indicateurs clés (CSV)").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_text(encoding="utf-8-sig")
    assert "Délivrances totales;9" in text
    assert "Part des délivrances par la VAE (%);33,3" in text
    screenshot(page, "alpha")
    assert problems == []
