"""Forms of the staff's dossier pages; every choice comes from the user's scoped querysets."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Company
from certifications.models import Referentiel, ReferentielStatus, ReferentielVersion
from core.identity import normalised_identity
from core.text import validate_plain_text
from core.widgets import FastSelect, SearchSelect

from . import identity, selectors
from .dashboard import FOLLOW_UP_LABELS, TODO_LABELS, waiting_filter
from .models import AccessRoute, Candidate, Dossier, DossierStatus, Sex
from .selectors import staff_branches

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def adopted_referentiels(user: Any) -> QuerySet[Referentiel]:
    return Referentiel.objects.filter(adoptions__branch__in=staff_branches(user)).distinct()


class PortalForm(forms.Form):
    """French labels take no trailing colon here: the layout sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def limit_choices(self, name: str, queryset: QuerySet[Any]) -> None:
        """Offer (and accept) only the rows of `queryset`: the user's scoped choices."""
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReferentielVersion) -> str:
        return str(
            _("%(title)s (version %(number)d)")
            % {"title": obj.referentiel.title, "number": obj.number}
        )


class CandidateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Candidate) -> str:
        return f"{obj.last_name.upper()} {obj.first_name} — {obj.birth_date:%d/%m/%Y}"


def _year_choices() -> list[tuple[str, StrOrPromise]]:
    this_year = timezone.localdate().year
    return [("", _("Toutes")), *((str(y), str(y)) for y in range(this_year, this_year - 16, -1))]


class DossierFilterForm(PortalForm):
    """Search, filters and sort of the dossier list (and of its exports)."""

    # Whitelisted orderings: a value maps to index-friendly columns, the pk breaking ties.
    SORTS: dict[str, tuple[str, ...]] = {
        "-opened": ("-opened_on", "-pk"),
        "opened": ("opened_on", "pk"),
        "name": ("candidate__last_name", "candidate__first_name", "pk"),
        "-name": ("-candidate__last_name", "-candidate__first_name", "-pk"),
        "status": ("status", "-opened_on", "-pk"),
    }

    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=100,
        help_text=_("Nom, numéro de dossier ou de certificat, entreprise"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[("", _("Tous les statuts")), *DossierStatus.choices],
        widget=FastSelect,
    )
    todo = forms.ChoiceField(
        label=_("À traiter"),
        required=False,
        choices=[("", _("Tout")), *TODO_LABELS.items(), *FOLLOW_UP_LABELS.items()],
        widget=FastSelect,
    )
    cqpi = forms.ModelChoiceField(
        label=_("CQPI"),
        required=False,
        queryset=Referentiel.objects.none(),
        empty_label=_("Tous"),
        widget=FastSelect,
    )
    access_route = forms.ChoiceField(
        label=_("Voie d'accès"),
        required=False,
        choices=[("", _("Toutes")), *AccessRoute.choices],
        widget=FastSelect,
    )
    year = forms.TypedChoiceField(
        label=_("Année d'ouverture"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        widget=FastSelect,
    )
    sort = forms.ChoiceField(
        label=_("Trier par"),
        required=False,
        choices=[
            ("-opened", _("Ouverture, plus récents d'abord")),
            ("opened", _("Ouverture, plus anciens d'abord")),
            ("name", _("Nom du candidat (A → Z)")),
            ("-name", _("Nom du candidat (Z → A)")),
            ("status", _("Statut")),
        ],
        widget=FastSelect,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_choices("cqpi", adopted_referentiels(user))
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = _year_choices()

    def apply(self, dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
        """The dossiers that match; an invalid form filters nothing but keeps the default sort.

        Names and references are matched by prefix (`istartswith`) rather than anywhere, so
        that a search stays a range scan of the branch's rows at 100,000 dossiers; company
        names, a short list per branch, are matched anywhere through a subquery.
        """
        if not self.is_valid():
            return dossiers.order_by(*self.SORTS["-opened"])
        data = self.cleaned_data
        query = data["q"].strip()
        if query:
            dossiers = dossiers.filter(self.search(query, scope=dossiers))
        if data["status"]:
            dossiers = dossiers.filter(status=data["status"])
        if data["todo"]:
            dossiers = dossiers.filter(waiting_filter(data["todo"]))
        if data["cqpi"]:
            dossiers = dossiers.filter(version__referentiel=data["cqpi"])
        if data["access_route"]:
            dossiers = dossiers.filter(access_route=data["access_route"])
        if data["year"]:
            # A date range, not __year, so the (branch, opened_on) index serves it.
            dossiers = dossiers.filter(
                opened_on__gte=datetime.date(data["year"], 1, 1),
                opened_on__lt=datetime.date(data["year"] + 1, 1, 1),
            )
        return dossiers.order_by(*self.SORTS.get(data["sort"] or "-opened", self.SORTS["-opened"]))

    @property
    def searching(self) -> bool:
        """Whether `apply` searches: every match is then read and sorted, whatever the page."""
        return self.is_valid() and bool(self.cleaned_data["q"].strip())

    @staticmethod
    def search(query: str, *, scope: QuerySet[Dossier]) -> Q:
        """The dossiers whose candidate's names start with each word, whose number or a
        certificate's number starts with the query, or whose company's name holds it (or SIRET
        is it).

        One `IN` over a UNION of the four lookups, each answered by its own index (prefix
        indexes on names and numbers; the short company table) within the user's `scope`,
        rather than an OR across the joined tables, which PostgreSQL can only evaluate row by
        row over the whole branch — for the page's count as well as for its rows.
        """
        from certifications.models import Certificate

        names = Q()
        for word in query.split():
            names &= Q(last_name__istartswith=word) | Q(first_name__istartswith=word)
        scoped = scope.order_by().values("pk")
        companies = Company.objects.filter(Q(name__icontains=query) | Q(siret=query))
        matches = scoped.filter(
            candidate_id__in=Candidate.objects.filter(names).values("pk")
        ).union(
            scoped.filter(reference__istartswith=query),
            Certificate.objects.filter(number__istartswith=query).values("dossier_id").order_by(),
            scoped.filter(company_id__in=companies.values("pk")),
        )
        return Q(pk__in=matches)


class DossierOpenForm(PortalForm):
    """Open a dossier for an existing candidate of the branch, or register the candidate first."""

    branch = forms.ModelChoiceField(label=_("Branche"), queryset=Branch.objects.none())
    existing_candidate = CandidateChoiceField(
        label=_("Candidat déjà enregistré"),
        required=False,
        queryset=Candidate.objects.none(),
        empty_label=_("— Nouveau candidat —"),
        help_text=_("Laissez « Nouveau candidat » pour saisir son identité ci-dessous."),
        widget=SearchSelect(
            "candidates:candidate_choices", search_label=_("Rechercher un candidat enregistré")
        ),
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=120,
        required=False,
        validators=[validate_plain_text],
        help_text=_("Le nom de naissance, tel qu'à l'état civil."),
    )
    first_name = forms.CharField(
        label=_("Prénom"), max_length=120, required=False, validators=[validate_plain_text]
    )
    birth_date = forms.DateField(label=_("Date de naissance"), required=False, widget=DateInput())
    birth_place = forms.CharField(
        label=_("Lieu de naissance"),
        max_length=120,
        required=False,
        validators=[validate_plain_text],
    )
    email = forms.EmailField(label=_("Adresse e-mail"), required=False)
    # The rest of the identity the CDC declaration needs; empty, the candidate is "à compléter".
    usage_name = forms.CharField(
        label=_("Nom d'usage"),
        max_length=60,
        required=False,
        validators=[validate_plain_text],
        help_text=_("S'il diffère du nom de naissance."),
    )
    first_name_2 = forms.CharField(
        label=_("Deuxième prénom"), max_length=60, required=False, validators=[validate_plain_text]
    )
    first_name_3 = forms.CharField(
        label=_("Troisième prénom"), max_length=60, required=False, validators=[validate_plain_text]
    )
    sex = forms.ChoiceField(
        label=_("Sexe"), required=False, choices=[("", _("— À compléter —")), *Sex.choices]
    )
    birth_insee_code = forms.CharField(
        label=_("Code INSEE de la commune de naissance"),
        max_length=5,
        required=False,
        help_text=_(
            "5 caractères (2A… / 2B… en Corse) ; pour une naissance à l'étranger, laissez vide : "
            "99 suivi du code du pays."
        ),
    )
    birth_postal_code = forms.CharField(
        label=_("ou son code postal"),
        max_length=5,
        required=False,
        help_text=_("À défaut du code INSEE."),
    )
    birth_country_code = forms.CharField(
        label=_("Code du pays de naissance"),
        max_length=3,
        required=False,
        help_text=_("Code INSEE du pays, 3 chiffres : 100 pour la France."),
    )
    birth_country_label = forms.CharField(
        label=_("Pays de naissance"),
        max_length=60,
        required=False,
        validators=[validate_plain_text],
    )
    version = VersionChoiceField(
        label=_("CQPI"),
        queryset=ReferentielVersion.objects.none(),
        empty_label=_("— Choisir le CQPI —"),
        help_text=_("La version en vigueur du référentiel, adopté par la branche."),
    )
    company = forms.ModelChoiceField(
        label=_("Entreprise"),
        required=False,
        queryset=Company.objects.none(),
        empty_label=_("— Sans entreprise —"),
        widget=SearchSelect(
            "candidates:company_choices", search_label=_("Rechercher une entreprise")
        ),
    )
    access_route = forms.ChoiceField(label=_("Voie d'accès"), choices=AccessRoute.choices)
    first_certification = forms.BooleanField(
        label=_("Première certification du candidat"), required=False
    )
    # When the new candidate's identity matches a national person exactly: the staff member
    # chooses to link (with the person's consent) or to keep a separate record.
    person_match = forms.IntegerField(required=False, widget=forms.HiddenInput())
    person_choice = forms.ChoiceField(
        label=_("Personne déjà enregistrée"),
        required=False,
        choices=[
            ("link", _("Rattacher le candidat à cette personne")),
            ("separate", _("Créer une fiche distincte")),
        ],
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        label=_(
            "La personne a consenti au rattachement (ses acquis la suivent d'une branche à l'autre)"
        ),
        required=False,
    )
    consent_on = forms.DateField(
        label=_("Consentement recueilli le"), required=False, widget=DateInput()
    )

    IDENTITY_FIELDS = ("last_name", "first_name", "birth_date", "birth_place")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person_matches: list[Any] = []
        branches = staff_branches(user)
        self.limit_choices("branch", branches)
        if len(branches) == 1:
            self.fields["branch"].initial = branches[0].pk
            self.fields["branch"].widget = forms.HiddenInput()
        self.limit_choices("existing_candidate", selectors.openable_candidates(user=user))
        self.limit_choices("company", selectors.openable_companies(user=user))
        self.limit_choices(
            "version",
            (
                ReferentielVersion.objects.in_force()
                .filter(
                    referentiel__status=ReferentielStatus.VALIDATED,
                    referentiel__adoptions__branch__in=branches,
                )
                .select_related("referentiel")
                .distinct()
                .order_by("referentiel__title")
            ),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        branch = data.get("branch")
        candidate = data.get("existing_candidate")
        if candidate is None:
            for name in self.IDENTITY_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Obligatoire pour un nouveau candidat."))
            add_identity_errors(self, DECLARATION_FIELDS)
            if not self.errors:
                self._clean_person_match(data)
        if branch is not None:
            if candidate is not None and candidate.branch_id != branch.pk:
                self.add_error("existing_candidate", _("Ce candidat relève d'une autre branche."))
            company = data.get("company")
            if company is not None and company.branch_id != branch.pk:
                self.add_error("company", _("Cette entreprise relève d'une autre branche."))
        return data

    def _clean_person_match(self, data: dict[str, Any]) -> None:
        """Propose the national persons the identity matches exactly; link only on the staff
        member's choice with the consent recorded (the service checks both again)."""
        self.person_matches = selectors.person_matches(
            normalised_identity(
                last_name=data["last_name"],
                first_name=data["first_name"],
                birth_date=data["birth_date"],
                birth_place=data["birth_place"],
                birth_insee_code=data.get("birth_insee_code") or "",
                birth_country_code=data.get("birth_country_code") or "",
            )
        )
        data["person"] = None
        data["consent_at"] = None
        if not self.person_matches:
            return
        choice = data.get("person_choice")
        offered = {p.pk: p for p in self.person_matches}
        if not choice or data.get("person_match") not in offered:
            self.add_error(
                "person_choice",
                _(
                    "Une personne déjà enregistrée a exactement cette identité : rattachez-lui "
                    "le candidat, avec son consentement, ou créez une fiche distincte."
                ),
            )
            return
        if choice == "separate":
            return
        if not data.get("consent"):
            self.add_error("consent", _("Le rattachement suppose le consentement de la personne."))
            return
        consent_on = data.get("consent_on") or timezone.localdate()
        if consent_on > timezone.localdate():
            self.add_error("consent_on", _("Le consentement ne peut être daté dans le futur."))
            return
        data["person"] = offered[data["person_match"]]
        moment = datetime.datetime.combine(consent_on, datetime.time(12))
        data["consent_at"] = min(timezone.make_aware(moment), timezone.now())


DECLARATION_FIELDS = (
    "usage_name",
    "first_name_2",
    "first_name_3",
    "sex",
    "birth_insee_code",
    "birth_postal_code",
    "birth_country_code",
    "birth_country_label",
)


def add_identity_errors(form: forms.Form, names: tuple[str, ...]) -> None:
    """The rules of `candidates/identity.py`, each problem under its field; the cleaned
    values become the normalised ones (codes in capitals, 99 + country abroad)."""
    values = identity.normalise({name: form.cleaned_data.get(name) or "" for name in names})
    for name, messages in identity.identity_errors(values).items():
        if name not in form.errors:
            for message in messages:
                form.add_error(name, message)
    form.cleaned_data.update(values)


class CandidateIdentityForm(PortalForm):
    """Staff correct a candidate's identity: civil status and the CDC declaration's fields."""

    last_name = forms.CharField(
        label=_("Nom de naissance"), max_length=120, validators=[validate_plain_text]
    )
    usage_name = DossierOpenForm.base_fields["usage_name"]
    first_name = forms.CharField(
        label=_("Premier prénom"), max_length=120, validators=[validate_plain_text]
    )
    first_name_2 = DossierOpenForm.base_fields["first_name_2"]
    first_name_3 = DossierOpenForm.base_fields["first_name_3"]
    sex = DossierOpenForm.base_fields["sex"]
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput())
    birth_place = forms.CharField(
        label=_("Commune de naissance (libellé)"),
        max_length=120,
        validators=[validate_plain_text],
    )
    birth_insee_code = DossierOpenForm.base_fields["birth_insee_code"]
    birth_postal_code = DossierOpenForm.base_fields["birth_postal_code"]
    birth_country_code = DossierOpenForm.base_fields["birth_country_code"]
    birth_country_label = DossierOpenForm.base_fields["birth_country_label"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        add_identity_errors(self, identity.IDENTITY_FIELDS)
        return self.cleaned_data


class CommentForm(PortalForm):
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AdmissibilityForm(PortalForm):
    admissible = forms.TypedChoiceField(
        label=_("Recevabilité"),
        choices=[("yes", _("Recevable")), ("no", _("Non recevable"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        help_text=_("Obligatoire en cas de non-recevabilité."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(PortalForm):
    comment = forms.CharField(
        label=_("Motif de l'abandon"), widget=forms.Textarea(attrs={"rows": 2})
    )


class EvidenceReturnForm(PortalForm):
    comment = forms.CharField(
        label=_("Ce que le candidat doit compléter ou modifier"),
        max_length=4000,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PersonNumberField(forms.CharField):
    """A person's national number as printed (P-0000012), or its digits alone."""

    def to_python(self, value: Any) -> Any:
        text = (super().to_python(value) or "").strip().upper().removeprefix("P-")
        if not text:
            return None
        if not text.isdigit():
            raise forms.ValidationError(_("Un numéro national de personne s'écrit P-0000012."))
        return int(text)


class PersonMergeForm(PortalForm):
    keep = PersonNumberField(label=_("Personne conservée (numéro national)"))
    absorb = PersonNumberField(label=_("Doublon à fusionner dans celle-ci (numéro national)"))
    reason = forms.CharField(
        label=_("Motif de la fusion"), max_length=2000, validators=[validate_plain_text]
    )


class CreditForm(PortalForm):
    reference = forms.CharField(
        label=_("Numéro ou code de vérification du document"),
        max_length=60,
        validators=[validate_plain_text],
        help_text=_(
            "Le numéro imprimé sur le certificat ou l'attestation (CQPI-…, AVP-…), ou le code "
            "de vérification de son QR code."
        ),
    )


class ImportUploadForm(PortalForm):
    branch = forms.ModelChoiceField(label=_("Branche"), queryset=Branch.objects.none())
    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_("Une ligne par candidat, avec les colonnes du modèle."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = staff_branches(user)
        self.limit_choices("branch", branches)
        if len(branches) == 1:
            self.fields["branch"].initial = branches[0].pk
            self.fields["branch"].widget = forms.HiddenInput()


class BranchChoiceForm(PortalForm):
    branch = forms.ModelChoiceField(
        label=_("Branche"), queryset=Branch.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_choices("branch", staff_branches(user))

    def chosen(self) -> Branch | None:
        field = self.fields["branch"]
        assert isinstance(field, forms.ModelChoiceField)
        if self.is_bound and self.is_valid() and self.cleaned_data["branch"]:
            return self.cleaned_data["branch"]
        assert field.queryset is not None  # declared with one; the stubs allow None
        return field.queryset.first()
