"""Forms of the evaluators' and jury pages; every choice comes from a scoped queryset or selector."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Membership
from candidates.forms import DateInput, DossierFilterForm, PortalForm
from candidates.models import Candidate, Dossier, DossierStatus
from candidates.selectors import staff_branches
from certifications.models import Capacity
from core.text import validate_plain_text
from core.widgets import FastSelect

from . import selectors
from .models import (
    CapacityOutcome,
    EvaluationKind,
    EvaluationSheet,
    JuryMember,
    JurySession,
    MemberRole,
    Outcome,
    SheetRole,
    VoteChoice,
)
from .services import CapacityEntry


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EvaluationAssignForm(PortalForm):
    kind = forms.ChoiceField(label=_("Type d'évaluation"), choices=EvaluationKind.choices)
    external_evaluator = PersonChoiceField(
        label=_("Évaluateur externe habilité"),
        queryset=None,
        empty_label=_("— Choisir —"),
        help_text=_(
            "Seuls les évaluateurs habilités ce jour pour ce CQPI, sans suspension ni "
            "conflit d'intérêts."
        ),
    )
    referent = PersonChoiceField(
        label=_("Référent entreprise (binôme)"),
        queryset=None,
        required=False,
        empty_label=_("— Pas de binôme —"),
    )
    due_date = forms.DateField(label=_("À réaliser avant le"), required=False, widget=DateInput())
    appointment_at = forms.DateTimeField(
        label=_("Rendez-vous d'évaluation (date et heure)"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Les évaluateurs et le candidat le reçoivent en invitation d'agenda (.ics)."),
    )
    appointment_place = forms.CharField(
        label=_("Lieu du rendez-vous"), max_length=200, required=False
    )
    appointment_link = forms.URLField(
        label=_("ou lien de visioconférence"), max_length=500, required=False, assume_scheme="https"
    )

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_choices("external_evaluator", selectors.eligible_evaluators(dossier=dossier))
        self.limit_choices("referent", selectors.eligible_referents(dossier=dossier))
        if dossier.status == DossierStatus.POSITIONING:
            self.fields["kind"].initial = EvaluationKind.POSITIONING
        else:
            self.fields["kind"].initial = EvaluationKind.FINAL


class AppointmentForm(PortalForm):
    """Set, move or cancel an evaluation's appointment: empty date and place cancel it."""

    appointment_at = forms.DateTimeField(
        label=_("Rendez-vous d'évaluation (date et heure)"),
        required=False,
        widget=DateTimeInput(),
        help_text=_(
            "Les évaluateurs et le candidat reçoivent la mise à jour de leur invitation "
            "d'agenda (.ics) ; laissez la date et le lieu vides pour annuler le rendez-vous."
        ),
    )
    appointment_place = forms.CharField(
        label=_("Lieu du rendez-vous"), max_length=200, required=False
    )
    appointment_link = forms.URLField(
        label=_("ou lien de visioconférence"), max_length=500, required=False, assume_scheme="https"
    )


class SheetReassignForm(PortalForm):
    """Who takes over a grid: for the external half an eligible evaluator (habilitated, not
    suspended, free of conflict), for the référent's half another référent of the company;
    never the person who holds it, nor the other half of the binôme."""

    evaluator = PersonChoiceField(
        label=_("Confier la grille à"), queryset=None, empty_label=_("— Choisir —")
    )

    def __init__(self, *args: Any, sheet: EvaluationSheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dossier = sheet.evaluation.dossier
        if sheet.role == SheetRole.REFERENT:
            people = selectors.eligible_referents(dossier=dossier)
        else:
            people = selectors.eligible_evaluators(dossier=dossier)
        taken = EvaluationSheet.objects.filter(evaluation_id=sheet.evaluation_id).values(
            "evaluator_id"
        )
        self.limit_choices("evaluator", people.exclude(pk__in=taken))


class SheetForm(PortalForm):
    """One evaluator's grid: a result and a comment per capacity, a mark per indicator.

    `version` travels with the page so a save made elsewhere in between is refused.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    confirm = forms.BooleanField(
        label=_(
            "Je confirme que cette grille est complète et définitive : une fois transmise, elle ne sera plus modifiable."
        ),
        required=False,
    )

    def __init__(self, *args: Any, capacities: Iterable[Capacity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capacities = list(capacities)
        for capacity in self.capacities:
            self.fields[f"c{capacity.pk}_outcome"] = forms.ChoiceField(
                label=_("Résultat"),
                choices=CapacityOutcome.choices,
                initial=CapacityOutcome.NOT_ASSESSED,
                widget=forms.RadioSelect,
            )
            self.fields[f"c{capacity.pk}_comment"] = forms.CharField(
                label=_("Commentaire"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            for indicator in capacity.indicators.all():
                self.fields[f"i{indicator.pk}"] = forms.IntegerField(
                    label=indicator.label,
                    required=False,
                    min_value=0,
                    max_value=indicator.max_mark,
                )

    @staticmethod
    def initial_from(sheet: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"version": sheet.version}
        for result in sheet.results.prefetch_related("marks"):
            initial[f"c{result.capacity_id}_outcome"] = result.outcome
            initial[f"c{result.capacity_id}_comment"] = result.comment
            for mark in result.marks.all():
                initial[f"i{mark.indicator_id}"] = mark.mark
        return initial

    def entries(self) -> dict[int, CapacityEntry]:
        data = self.cleaned_data
        entries = {}
        for capacity in self.capacities:
            marks = {
                indicator.pk: data[f"i{indicator.pk}"]
                for indicator in capacity.indicators.all()
                if data.get(f"i{indicator.pk}") is not None
            }
            entries[capacity.pk] = CapacityEntry(
                outcome=data[f"c{capacity.pk}_outcome"],
                comment=data.get(f"c{capacity.pk}_comment", ""),
                marks=marks,
            )
        return entries

    def grid(
        self,
        divergent: set[int] | frozenset[int] = frozenset(),
        evidence: dict[int, list[Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Blocs, their capacities, the bound fields and each capacity's evidence, in the
        référentiel's order."""
        evidence = evidence or {}
        blocs: list[dict[str, Any]] = []
        for capacity in self.capacities:
            if not blocs or blocs[-1]["bloc"].pk != capacity.bloc_id:
                blocs.append({"bloc": capacity.bloc, "capacities": []})
            blocs[-1]["capacities"].append(
                {
                    "capacity": capacity,
                    "outcome": self[f"c{capacity.pk}_outcome"],
                    "comment": self[f"c{capacity.pk}_comment"],
                    "indicators": [
                        (indicator, self[f"i{indicator.pk}"])
                        for indicator in capacity.indicators.all()
                    ],
                    "divergent": capacity.pk in divergent,
                    "evidence": evidence.get(capacity.pk, []),
                }
            )
        return blocs


class SessionCreateForm(PortalForm):
    branch = forms.ModelChoiceField(label=_("Branche"), queryset=Branch.objects.none())
    held_on = forms.DateTimeField(label=_("Date et heure"), widget=DateTimeInput())
    place = forms.CharField(label=_("Lieu"), max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = staff_branches(user)
        self.limit_choices("branch", branches)
        if len(branches) == 1:
            self.fields["branch"].initial = branches[0].pk
            self.fields["branch"].widget = forms.HiddenInput()


class SessionRescheduleForm(PortalForm):
    held_on = forms.DateTimeField(label=_("Nouvelle date et heure"), widget=DateTimeInput())
    place = forms.CharField(label=_("Lieu"), max_length=200)


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        name = obj.user.get_full_name() or obj.user.email
        return f"{name} — {obj.get_college_display()}"


class ConvokeForm(PortalForm):
    membership = MembershipChoiceField(
        label=_("Membre de jury de la branche"),
        queryset=None,
        empty_label=_("— Choisir —"),
        widget=FastSelect,
    )
    role = forms.ChoiceField(
        label=_("Fonction"),
        choices=MemberRole.choices,
        initial=MemberRole.MEMBER,
        widget=FastSelect,
    )

    def __init__(self, *args: Any, session: JurySession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_choices(
            "membership",
            (
                selectors.jury_candidates(branch_id=session.branch_id)
                .exclude(user__jury_seats__session=session)
                .order_by("college", "user__last_name", "user__first_name")
            ),
        )


class AgendaForm(PortalForm):
    """Put one of the branch's dossiers ready for the jury on the session's agenda.

    A large branch has well over a thousand ready dossiers: the page lists the READY_SHOWN
    opened the longest ago, or those a search finds (`ready_rows`), each with its own submit
    button carrying its id; the field accepts any of them.
    """

    READY_SHOWN = 20

    # Never rendered as a select (see ready_rows): it only validates the posted id. Its
    # error's link leads to the heading of the ready dossiers, whose buttons post that id.
    dossier: forms.ModelChoiceField[Dossier] = forms.ModelChoiceField(
        label=_("Dossier prêt pour le jury"),
        queryset=None,
        widget=forms.Select(attrs={"id": "ready-title"}),
    )

    def __init__(self, *args: Any, session: JurySession, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_choices(
            "dossier",
            (
                Dossier.objects.managed_by(user)
                .filter(branch_id=session.branch_id, status=DossierStatus.READY_FOR_JURY)
                # The longest waiting first; the (branch, status, opened_on) index reads them
                # in that order (by reference, it would walk every branch's references).
                .order_by("opened_on", "pk")
            ),
        )

    def ready_rows(self, query: str = "") -> tuple[int, list[dict[str, Any]]]:
        """How many ready dossiers match `query` (all when empty), and the first of them."""
        field = self.fields["dossier"]
        assert isinstance(field, forms.ModelChoiceField)
        ready = field.queryset
        assert ready is not None
        if query:
            ready = ready.filter(DossierFilterForm.search(query, scope=ready))
        # The ids first, from the dossiers alone (read in order from an index),
        # then their joins: joined first, PostgreSQL hashes every candidate of the country.
        ids = list(ready.values_list("pk", flat=True)[: self.READY_SHOWN])
        rows = (
            Dossier.objects.filter(pk__in=ids)
            .order_by("opened_on", "pk")
            .values_list(
                "pk",
                "reference",
                "candidate__first_name",
                "candidate__last_name",
                "version__referentiel__title",
                "company__name",
            )
        )
        shown = [
            {
                "pk": pk,
                "reference": reference,
                "candidate": Candidate.format_full_name(first_name, last_name),
                "cqpi": title,
                "company": company or "—",
            }
            for pk, reference, first_name, last_name, title, company in rows
        ]
        count = len(shown) if len(shown) < self.READY_SHOWN else ready.count()
        return count, shown


class DecisionForm(PortalForm):
    """The jury's word on each capacity, starting from the evaluation's proposal."""

    outcome = forms.ChoiceField(
        label=_("Décision"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Motivation"),
        required=False,
        help_text=_(
            "Obligatoire pour une validation partielle ou un refus. Un refus ne valide aucune "
            "capacité : pour en valider certaines, choisissez la validation partielle."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self, *args: Any, capacities: Iterable[Capacity], proposed: set[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.capacities = list(capacities)
        self.proposed = set(proposed)
        for capacity in self.capacities:
            self.fields[f"c{capacity.pk}_validated"] = forms.BooleanField(
                label=_("Validée"), required=False, initial=capacity.pk in proposed
            )
            self.fields[f"c{capacity.pk}_reason"] = forms.CharField(
                label=_("Motif si le jury s'écarte de l'évaluation"),
                required=False,
                max_length=2000,
            )

    def clean(self) -> dict[str, Any]:
        """Mark each capacity where the jury departs from the evaluation without a reason, on
        its own row (a refusal validates nothing and takes the decision's reasons)."""
        data = super().clean() or {}
        if data.get("outcome") and data["outcome"] != Outcome.REFUSAL:
            for capacity in self.capacities:
                validated = bool(data.get(f"c{capacity.pk}_validated"))
                reason = (data.get(f"c{capacity.pk}_reason") or "").strip()
                if validated != (capacity.pk in self.proposed) and not reason:
                    self.add_error(
                        f"c{capacity.pk}_reason",
                        _("Motivez l'écart avec l'évaluation sur cette capacité."),
                    )
        return data

    def validated_ids(self) -> set[int]:
        return {c.pk for c in self.capacities if self.cleaned_data.get(f"c{c.pk}_validated")}

    def override_reasons(self) -> dict[int, str]:
        return {
            c.pk: self.cleaned_data[f"c{c.pk}_reason"]
            for c in self.capacities
            if self.cleaned_data.get(f"c{c.pk}_reason", "").strip()
        }


class VoteForm(PortalForm):
    """A member's own vote on the proposal before the jury."""

    choice = forms.ChoiceField(label=_("Votre vote"), choices=VoteChoice.choices)


class ShowOfHandsForm(PortalForm):
    """The secretary's record of a show of hands: one choice per member present who has not
    voted in the app."""

    def __init__(self, *args: Any, seats: Iterable[JuryMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seats = list(seats)
        for seat in self.seats:
            self.fields[f"m{seat.pk}"] = forms.ChoiceField(
                label=seat.user.get_full_name() or seat.user.email,
                choices=VoteChoice.choices,
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[int, str]:
        return {seat.pk: self.cleaned_data[f"m{seat.pk}"] for seat in self.seats}


class WithdrawProposalForm(PortalForm):
    reason = forms.CharField(
        label=_("Motif du retrait"),
        max_length=2000,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MinutesSignForm(PortalForm):
    """Re-authentication before signing: the password, and the second factor's code for a
    signer who has one."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Code de double authentification"),
        required=False,
        max_length=16,
        help_text=_("Le code à six chiffres de votre application, si vous l'utilisez."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
