"""The Python-written form templates give Django's markup byte for byte."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer

from core.form_renderer import WRITERS, FastFormRenderer

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


class EveryKind(forms.Form):
    required_css_class = "required"
    error_css_class = "error"

    name = forms.CharField(label="Nom", help_text="Tel qu'à <b>l'état civil</b>", max_length=20)
    hostile = forms.CharField(label=HOSTILE, required=False)
    count = forms.IntegerField(label="Nombre ?", min_value=1)
    email = forms.EmailField(label="Courriel", required=False)
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(label="Mot de passe", widget=forms.PasswordInput, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    search = forms.CharField(
        label="",
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "disabled": False, "data-x": 3}),
    )
    url = forms.URLField(required=False, label_suffix=" →")
    choice = forms.ChoiceField(label="Choix", choices=[("a", "A"), ("b", "B <b>")])
    route = forms.ChoiceField(
        label="Voie", choices=[("vae", "VAE"), ("pro", HOSTILE)], widget=forms.RadioSelect
    )
    blocs = forms.MultipleChoiceField(
        label="Blocs",
        choices=[("1", "Bloc 1"), ("2", "Bloc 2")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(label="Note", widget=forms.Textarea, required=False)
    agree = forms.BooleanField(label="J'accepte", required=False)


DATA: list[dict[str, Any] | None] = [
    None,  # unbound: initial values, no errors
    {"name": "x" * 30, "count": "0", "email": "nope", "day": "2026-13-45", "route": "zzz"},
    {
        "name": HOSTILE[:20],
        "hostile": HOSTILE,
        "count": "3",
        "email": "a@b.fr",
        "day": "2026-11-28",
        "secret": "s3cret",
        "hidden": HOSTILE,
        "search": "<i>",
        "choice": "b",
        "route": "vae",
        "blocs": ["1", "2"],
        "note": HOSTILE,
        "agree": "on",
    },
]


def renders(form_class: type[forms.Form], data: Any, renderer: Any, **kwargs: Any) -> list[str]:
    form = form_class(data, renderer=renderer, **kwargs)
    form.is_valid() if data is not None else None
    out = [form.as_div(), form.as_p(), str(form.non_field_errors())]
    for field in form:
        out += [field.as_field_group(), str(field.label_tag()), str(field.errors), str(field)]
        out.append(str(field.legend_tag()))
        # Each choice of a radio or checkbox list, as a page that lays them out writes it.
        for choice in field.subwidgets:
            out += [str(choice), choice.tag(), choice.tag(wrap_label=True)]
    return out


@pytest.mark.parametrize("data", DATA, ids=["unbound", "invalid", "valid"])
@pytest.mark.parametrize(
    "options",
    [{}, {"auto_id": False}, {"prefix": "f", "label_suffix": " :"}],
    ids=["default", "no-ids", "prefix"],
)
def test_the_fast_renderer_writes_what_django_templates_write(data: Any, options: Any) -> None:
    initial = {"name": "Dupont", "day": datetime.date(2026, 1, 2), "count": 4, "hidden": "h"}
    expected = renders(EveryKind, data, DjangoTemplates(), initial=initial, **options)
    actual = renders(EveryKind, data, FastFormRenderer(), initial=initial, **options)
    for want, got in zip(expected, actual, strict=True):
        assert got == want


def test_a_project_form_renders_the_same(cast: Any) -> None:
    from figures.forms import FiguresFilterForm

    class Stock(FiguresFilterForm):
        default_renderer = DjangoTemplates()

    class Fast(FiguresFilterForm):
        default_renderer = FastFormRenderer()

    data = {"year_from": "2025", "year_to": "2024", "branch": str(cast.branch_a.pk)}
    stock = Stock(data, user=cast.staff_a)
    fast = Fast(data, user=cast.staff_a)
    assert not stock.is_valid() and not fast.is_valid()
    assert [f.as_field_group() for f in fast] == [f.as_field_group() for f in stock]


def test_the_project_uses_it_and_hostile_values_stay_escaped() -> None:
    assert settings.FORM_RENDERER == "core.form_renderer.FastFormRenderer"
    assert isinstance(get_default_renderer(), FastFormRenderer)
    html = str(EveryKind({"hostile": HOSTILE}, renderer=FastFormRenderer())["hostile"])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_every_written_template_exists_in_django() -> None:
    engine = DjangoTemplates().engine
    for name in WRITERS:
        engine.get_template(name)  # raises if Django renamed or dropped it
