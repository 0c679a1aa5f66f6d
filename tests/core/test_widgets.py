"""The Python-rendered selects write exactly the markup of Django's templates."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe

from core.widgets import FastSelect, FastSelectMultiple

CHOICES: list[Any] = [
    ("", "— Tous —"),
    ("a", 'A & "b" <c>'),
    ("Groupe", [(1, "un"), (2, "deux")]),
    (3, "trois"),
    ("x&y", mark_safe("<b>déjà sûr</b>")),
    (mark_safe("s&t"), "valeur marquée sûre"),
    (None, "aucune"),
]


@pytest.mark.parametrize("value", [None, "", "a", 2, "3", "x&y"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "required": True, "disabled": False, "data-q": '"x"'}]
)
def test_a_fast_select_writes_djangos_markup(value: Any, attrs: Any) -> None:
    expected = forms.Select(choices=CHOICES).render("field", value, attrs)

    assert FastSelect(choices=CHOICES).render("field", value, attrs) == expected


def test_a_fast_multiple_select_writes_djangos_markup() -> None:
    expected = forms.SelectMultiple(choices=CHOICES).render("field", ["a", 3], {"id": "id_m"})

    assert FastSelectMultiple(choices=CHOICES).render("field", ["a", 3], {"id": "id_m"}) == expected
