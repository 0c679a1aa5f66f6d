"""A form renderer that writes the commonest form templates in Python.

Django renders every field of a form through several templates: the field group
(`field.html`), its label (`label.html` and `attrs.html`), its error list (`default.html`
and `ul.html`, even when empty) and its widget (`text.html` → `input.html` → `attrs.html`;
each choice of a list of radio buttons a page writes itself, `radio_option.html` →
`input_option.html` → `input.html` → `attrs.html`).
On a page of filters that is dozens of template renders per request, a sizeable share of
its time. `FastFormRenderer` produces the very same markup for those templates in Python
and hands every other template to Django's own renderer; `tests/core/test_form_renderer.py`
compares the two byte for byte on every kind of field the project uses.

What it costs: an override of those Django form templates (in a project's templates folder)
is ignored for the fields written here, and the copies must be checked at each Django
upgrade (the comparison test fails when Django's markup changes). It stays because
`make bench` measured the pages with forms without it (docs/PERFORMANCE.md, "The
performance kit"); remove it if a run shows it buys less than a fifth of a page.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe


def escape(value: Any) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper: the same
    html.escape, or the value's own __html__()."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def attributes(attrs: dict[str, Any] | None) -> str:
    """attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    out = []
    for name, value in (attrs or {}).items():
        if value is False:
            continue
        if value is True:
            out.append(f" {escape(name)}")
        else:
            out.append(f' {escape(name)}="{escape(value)}"')
    return "".join(out)


def _field(context: dict[str, Any]) -> str:
    """django/forms/field.html."""
    field = context["field"]
    if field.use_fieldset:
        described = field.aria_describedby
        aria = f' aria-describedby="{escape(described)}"' if described else ""
        head = f"\n  <fieldset{aria}>\n  {field.legend_tag() if field.label else ''}\n"
    else:
        head = f"\n  {field.label_tag() if field.label else ''}\n"
    help_text = ""
    if field.help_text:
        help_id = f' id="{escape(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{help_id}>{field.help_text}</div>'
    tail = "</fieldset>" if field.use_fieldset else ""
    return f"{head}\n{help_text}\n{field.errors}\n{field}{tail}\n"


def _label(context: dict[str, Any]) -> str:
    """django/forms/label.html (a <label> or <legend>)."""
    label = escape(context["label"])
    if not context["use_tag"]:
        return f"{label}\n"
    tag = escape(context["tag"])
    return f"<{tag}{attributes(context['attrs'])}>{label}</{tag}>\n"


def _errors(context: dict[str, Any]) -> str:
    """django/forms/errors/list/default.html and ul.html."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{escape(error)}</li>" for error in errors)
    return f'<ul class="{escape(context["error_class"])}"{id_attr}>{items}</ul>'


def _input(context: dict[str, Any]) -> str:
    """django/forms/widgets/input.html, through the one-line templates that include it."""
    widget = context["widget"]
    value = widget["value"]
    value_attr = f' value="{escape(value)}"' if value is not None else ""
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{value_attr}{attributes(widget['attrs'])}>\n"
    )


def _input_include(context: dict[str, Any]) -> str:
    """text.html, number.html, …: `{% include "…/input.html" %}` and their own newline."""
    return _input(context) + "\n"


def _input_option(context: dict[str, Any]) -> str:
    """radio_option.html and checkbox_option.html, through input_option.html: one choice of
    a RadioSelect or CheckboxSelectMultiple, as a page writes it with `{{ choice.tag }}`."""
    widget = context["widget"]
    if not widget.get("wrap_label"):
        return _input(context) + "\n"
    id_ = widget["attrs"].get("id")
    for_attr = f' for="{escape(id_)}"' if id_ else ""
    return f"<label{for_attr}>{_input(context)} {escape(widget['label'])}</label>\n"


def _textarea(context: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    widget = context["widget"]
    value = escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{escape(widget["name"])}"{attributes(widget["attrs"])}>\n'
        f"{value}</textarea>\n"
    )


_INPUTS = ("text", "number", "email", "date", "hidden", "password", "search", "tel", "url")

WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "django/forms/field.html": _field,
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/widgets/input.html": _input,
    **{f"django/forms/widgets/{name}.html": _input_include for name in _INPUTS},
    "django/forms/widgets/radio_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _input_option,
    "django/forms/widgets/textarea.html": _textarea,
}


class FastFormRenderer(DjangoTemplates):
    """Django's default form renderer, with the templates of WRITERS written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = WRITERS.get(template_name)
        if writer is None:
            return super().render(template_name, context, request=request)
        # Django strips every rendered template: so do the writers' results.
        return mark_safe(writer(context).strip())  # noqa: S308 - every value is escaped above
