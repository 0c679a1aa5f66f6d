"""The evaluator's grid with the keyboard alone: Tab from the top of the page reaches every
mark, every result and the submission, each with a visible focus; the grid is scored and
transmitted without a mouse (#20 item 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from certifications.models import Capacity, Indicator
from evaluations.models import CapacityOutcome, CapacityResult, SheetStatus
from tests.workflow import assigned_sheet

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FOCUSED = """() => {
  const el = document.activeElement;
  const ring = el.type === 'radio' ? el.closest('label') : el;
  const style = getComputedStyle(ring);
  return {tag: el.tagName, type: el.type || '', name: el.name || '', value: el.value || '',
          text: (el.innerText || '').trim(), checked: !!el.checked,
          visible: el.matches(':focus-visible') && style.outlineStyle !== 'none'
                   && parseFloat(style.outlineWidth) > 0};
}"""


def test_the_grid_is_scored_and_transmitted_with_the_keyboard_alone(
    page: Any, live_server: Any, live_cast: Any, log_in: Any
) -> None:
    cast = live_cast
    sheet = assigned_sheet(cast)
    log_in(page, cast.evaluator)
    page.goto(live_server.url + reverse("evaluations:sheet", args=[sheet.pk]))
    page.locator("body").focus()

    marks, results, unseen_ring = set(), set(), []
    for _ in range(600):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] in {"INPUT", "BUTTON", "TEXTAREA", "SELECT"} and not focused["visible"]:
            unseen_ring.append(focused)
        if focused["type"] == "number":
            page.keyboard.type("4")
            marks.add(focused["name"])
        elif focused["type"] == "radio":
            # Tab enters a group of radios on its chosen result; the arrows change it.
            for _ in range(3):
                if focused["value"] == CapacityOutcome.ACQUIRED and focused["checked"]:
                    break
                page.keyboard.press("ArrowLeft" if focused["checked"] else "Space")
                focused = page.evaluate(FOCUSED)
            assert focused["value"] == CapacityOutcome.ACQUIRED and focused["checked"], focused
            results.add(focused["name"])
        elif focused["type"] == "checkbox" and focused["name"] == "confirm":
            page.keyboard.press("Space")
        elif focused["tag"] == "BUTTON" and focused["text"] == "Enregistrer et transmettre":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    else:
        pytest.fail("Tab never reached the button that transmits the grid")

    sheet.refresh_from_db()
    capacities = Capacity.objects.filter(bloc__version_id=sheet.evaluation.dossier.version_id)
    assert unseen_ring == []
    assert sheet.status == SheetStatus.SUBMITTED, page.url
    assert len(results) == capacities.count() > 0
    assert len(marks) == Indicator.objects.filter(capacity__in=capacities).count()
    assert set(CapacityResult.objects.filter(sheet=sheet).values_list("outcome", flat=True)) == {
        CapacityOutcome.ACQUIRED
    }
