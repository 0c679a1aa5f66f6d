"""Select widgets that write Django's own markup in Python instead of a template per option.

Django renders each <option> through two template includes; for a long list (a jury
session's ready dossiers, a thousand and more) or a page of filters that cost dominates
the request. These widgets produce byte for byte the markup of Django's templates
(`django/forms/widgets/select.html`, `select_option.html`, `attrs.html`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe

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
