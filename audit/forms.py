"""The audit trail's filters."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .labels import ACTION_LABELS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Toutes")), *sorted(ACTION_LABELS.items(), key=lambda kv: str(kv[1]))],
    )
    since = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Au"), required=False, widget=DateInput())
    actor = forms.CharField(label=_("Auteur (e-mail)"), required=False, max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def apply(self, events: QuerySet[Any]) -> QuerySet[Any]:
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
        if data["actor"]:
            events = events.filter(actor_label__icontains=data["actor"].strip())
        return events

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: datetime.date | None = data.get("since")
        until: datetime.date | None = data.get("until")
        if since and until and since > until:
            self.add_error("until", _("La date de fin précède la date de début."))
        return data
