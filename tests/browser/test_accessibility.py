"""The accessibility harness catches what it must. The harness is tests/browser/axe.py; the
journeys of test_journeys.py run it on every page of every role's journey at three widths."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import axe_source, violations

pytestmark = [pytest.mark.browser]


def test_the_check_catches_a_real_violation(browser: Any) -> None:
    """The harness itself: an image without text and a field without a label are found."""
    axe_source()
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    found = {v["id"] for v in violations(page)}
    context.close()
    assert {"image-alt", "label"} <= found
