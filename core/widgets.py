"""The project's select widgets.

`SearchSelect` is for a choice among thousands (a branch's candidates, its companies): the
page carries only the chosen option, and the person types to search; the matches come from
an endpoint of the field's own room, scoped as the form's queryset is (which alone decides
what a submitted id may be).

`FastSelect` and `FastSelectMultiple` replace Django's `select.html` + `select_option.html`
templates for short lists rendered on hot pages (the dossier list's filters, the figures'
filters, the convocation form). Django renders each <option> through two template includes;
on a page of filters that cost is a large share of the request. These widgets produce byte
for byte the markup of Django's templates (`django/forms/widgets/select.html`,
`select_option.html`, `attrs.html`; `tests/core/test_widgets.py` compares them), so a
template override of those files would be ignored for these fields. They stay because
`make bench` measured them (docs/PERFORMANCE.md, "The performance kit"); a long list is
never a reason to use them: make it a `SearchSelect`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.form_renderer import attributes as _attrs
from core.form_renderer import escape as _escape


def render_select(widget: forms.Select, name: str, value: Any, attrs: dict[str, Any] | None) -> str:
    """select.html with select_option.html for every option.

    The options are walked as ChoiceWidget.optgroups() walks them (the same selection rule:
    the first match only, unless multiple), without building a context dict per option.
    """
    select_attrs = widget.build_attrs(widget.attrs, attrs)
    if widget.allow_multiple_selected:
        select_attrs["multiple"] = True
    values = widget.format_value(value)
    out = [f'<select name="{_escape(name)}"{_attrs(select_attrs)}>']
    has_selected = False
    for option_value, option_label in widget.choices:
        if option_value is None:
            option_value = ""
        grouped = isinstance(option_label, (list, tuple))
        if grouped:
            out.append(f'\n  <optgroup label="{_escape(option_value)}">')
            options = option_label
        else:
            options = [(option_value, option_label)]
        for subvalue, sublabel in options:
            selected = (not has_selected or widget.allow_multiple_selected) and str(
                subvalue
            ) in values
            has_selected |= selected
            out.append(
                f'\n  <option value="{_escape(subvalue)}"{" selected" if selected else ""}>'
                f"{_escape(sublabel)}</option>\n"
            )
        if grouped:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        return mark_safe(render_select(self, name, value, attrs))  # noqa: S308 - all escaped


class FastSelectMultiple(forms.SelectMultiple):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        return mark_safe(render_select(self, name, value, attrs))  # noqa: S308 - all escaped


class SearchSelect(forms.Select):
    """A select holding only its chosen option, with a search box that fills it.

    `search_url` names the view answering `?q=` with the matching `<option>` elements (see
    `search_options`); htmx (static/vendor/htmx) sends the query as the person types. The
    form field keeps its queryset: a submitted id outside it is refused as for any select.
    Without JavaScript the select still offers its empty choice and the chosen one.
    """

    template_name = "core/widgets/search_select.html"

    def __init__(
        self,
        search_url: str,
        *,
        search_label: Any = None,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.search_url = search_url
        self.search_label = search_label or _("Rechercher")

    class Media:
        js = ("vendor/htmx/htmx.min.js",)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = reverse(self.search_url)
        context["widget"]["search_label"] = self.search_label
        return context

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        """The empty choice and the chosen one only: never the whole queryset."""
        chosen = [str(v) for v in value if v not in ("", None)]
        choices = self.choices
        queryset = getattr(choices, "queryset", None)
        options: list[tuple[Any, Any]] = []
        field = getattr(choices, "field", None)
        if field is not None and field.empty_label is not None:
            options.append(("", field.empty_label))
        if chosen and queryset is not None and field is not None:
            try:
                rows = list(queryset.filter(pk__in=chosen))
            except (ValueError, TypeError):
                rows = []
            options.extend((row.pk, field.label_from_instance(row)) for row in rows)
        groups = []
        for index, (option_value, label) in enumerate(options):
            selected = str(option_value) in chosen
            groups.append(
                (
                    None,
                    [self.create_option(name, option_value, label, selected, index, attrs=attrs)],
                    index,
                )
            )
        return groups


def search_options(field: forms.ModelChoiceField, query: str, matches: Any) -> list[Any]:
    """The (value, label) pairs a `SearchSelect` endpoint answers: the field's empty choice,
    then the matches labelled as the field labels them."""
    options: list[Any] = []
    if field.empty_label is not None:
        options.append(("", field.empty_label))
    if query:
        options.extend((row.pk, field.label_from_instance(row)) for row in matches)
    return options
