"""The filters of the figures (period, branch, CQPI), shared by the page, the exports and the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from certifications.models import Referentiel
from core.widgets import FastSelect

from .selectors import FigureFilters, figures_branches, figures_scope

MIN_YEAR, MAX_YEAR = 2000, 2100


class FiguresFilterForm(forms.Form):
    year_from = forms.IntegerField(
        label=_("Depuis l'année"), required=False, min_value=MIN_YEAR, max_value=MAX_YEAR
    )
    year_to = forms.IntegerField(
        label=_("Jusqu'à l'année"), required=False, min_value=MIN_YEAR, max_value=MAX_YEAR
    )
    branch = forms.ModelChoiceField(
        label=_("Branche"),
        queryset=Branch.objects.none(),
        required=False,
        empty_label=_("Toutes les branches"),
        widget=FastSelect,
    )
    cqpi = forms.ModelChoiceField(
        label=_("CQPI"),
        queryset=Referentiel.objects.order_by("title"),
        required=False,
        empty_label=_("Tous les CQPI"),
        widget=FastSelect,
    )

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data, label_suffix="")
        self.scope = figures_scope(user)
        branches = figures_branches(user)
        field = self.fields["branch"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = branches
        # Another branch's figures are not there for this user: a 404, as for any of its objects.
        wanted = (data or {}).get("branch")
        if wanted and not (str(wanted).isdigit() and branches.filter(pk=int(wanted)).exists()):
            raise Http404

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("year_from"), cleaned.get("year_to")
        if start and end and start > end:
            self.add_error("year_to", _("L'année de fin précède l'année de début."))
        return cleaned

    def query(self) -> str:
        """The valid filters as a query string, in a fixed order (for the export links): the
        same filters give the same string, whatever else the address carried."""
        data = self.cleaned_data
        values = {
            "year_from": data.get("year_from"),
            "year_to": data.get("year_to"),
            "branch": data["branch"].pk if data.get("branch") else None,
            "cqpi": data["cqpi"].pk if data.get("cqpi") else None,
        }
        return urlencode({name: value for name, value in values.items() if value is not None})

    def file_label(self) -> str:
        """The filters as part of an export's file name: a file kept on its own still says
        what it counts ("metallurgie-cqpi-12-2024-2026"; "toutes-branches" without one)."""
        data = self.cleaned_data
        parts = [slugify(data["branch"].code) if data.get("branch") else "toutes-branches"]
        if data.get("cqpi"):
            parts.append(f"cqpi-{data['cqpi'].pk}")
        start, end = data.get("year_from"), data.get("year_to")
        if start or end:
            parts.append(f"{start or 'debut'}-{end or 'fin'}")
        return "-".join(parts)

    def figure_filters(self) -> FigureFilters:
        data = self.cleaned_data
        branch, cqpi = data.get("branch"), data.get("cqpi")
        return FigureFilters(
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
            branch_ids=(branch.pk,) if branch else self.scope,
            referentiel_id=cqpi.pk if cqpi else None,
        )
