"""Select widgets that write Django's own markup in Python instead of a template per option.

Django renders each <option> through two template includes; for a long list (a jury
session's ready dossiers, a thousand and more) or a page of filters that cost dominates
the request. These widgets produce byte for byte the markup of Django's templates
(`django/forms/widgets/select.html`, `select_option.html`, `attrs.html`).
"""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe


def _escape(value: Any) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper (thousands of
    calls for a long select): the same html.escape, or the value's own __html__()."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_escape(name)}")
        else:
            out.append(f' {_escape(name)}="{_escape(str(value))}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString:
    """select.html with select_option.html for every option, from the widget's context."""
    out = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{_escape(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        return render_select(self.get_context(name, value, attrs)["widget"])


class FastSelectMultiple(forms.SelectMultiple):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        return render_select(self.get_context(name, value, attrs)["widget"])
