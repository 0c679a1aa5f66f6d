"""The accessibility harness of the browser tests: axe-core run in the page through Playwright.

axe-core is pinned in tests/browser/package.json and installed by `make test-deps` (npm ci).
The page's context must bypass its CSP (`bypass_csp=True`), which rightly forbids injected
scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}
# The widths the journeys are walked at: desktop, a tablet held upright, a phone.
WIDTHS = {"desktop": 1280, "tablet": 768, "phone": 375}


def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `make test-deps` (npm ci in tests/browser)"
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG 2.x A and AA on the current page."""
    page.evaluate(axe_source())
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
