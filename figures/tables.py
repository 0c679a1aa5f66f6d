"""The figures laid out as titled tables and chart specifications, one source for page, exports and charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

Value = int | float | str | None


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Value]]


TABLE_SLUGS = ("indicateurs", "par-annee", "historique", "par-cqpi", "par-voie", "par-branche")


def _counts(row: dict[str, Any]) -> list[Value]:
    return [row["awards"], row["partials"], row["refusals"], row["revoked"], row["decisions"]]


def _count_columns() -> list[str]:
    return [
        _("Délivrances totales"),
        _("Validations partielles"),
        _("Refus"),
        _("Révoqués"),
        _("Décisions"),
    ]


def _historic(row: dict[str, Any]) -> list[Value]:
    return [row["historic_awards"], row["historic_partials"], row["all_awards"]]


def _historic_columns() -> list[str]:
    return [
        _("Certificats délivrés avant la plateforme"),
        _("Attestations partielles délivrées avant la plateforme"),
        _("CQPI délivrés depuis l'origine"),
    ]


def figure_tables(figures: dict[str, Any]) -> list[Table]:
    totals = figures["totals"]
    awards = totals["awards"]
    return [
        Table(
            "indicateurs",
            _("Indicateurs clés"),
            [_("Indicateur"), _("Valeur")],
            [
                [_("Décisions du jury"), totals["decisions"]],
                [_("Délivrances totales"), awards],
                [_("Validations partielles"), totals["partials"]],
                [_("Refus"), totals["refusals"]],
                [_("Certificats et attestations révoqués"), totals["revoked"]],
                [_("Part des délivrances par la VAE (%)"), totals["vae_share"]],
                [
                    _("Part des délivrances en contrat de professionnalisation (%)"),
                    totals["professionalisation_share"],
                ],
                [
                    _("Part des délivrances qui sont une première certification (%)"),
                    totals["first_certification_share"],
                ],
                [_("Taux de délivrance totale (%)"), totals["award_rate"]],
                [_("Taux de validation partielle (%)"), totals["partial_rate"]],
                [_("Taux de refus (%)"), totals["refusal_rate"]],
                [_("Part des décisions dont le document est révoqué (%)"), totals["revoked_rate"]],
                [
                    _("Délai médian de l'ouverture du dossier à la délivrance (jours)"),
                    totals["median_days_to_award"],
                ],
                [_("Certificats délivrés avant la plateforme"), totals["historic_awards"]],
                [
                    _("Attestations de validation partielle délivrées avant la plateforme"),
                    totals["historic_partials"],
                ],
                [
                    _("CQPI délivrés depuis l'origine (avant la plateforme et sur la plateforme)"),
                    totals["all_awards"],
                ],
                [_("Depuis l'origine : part de la VAE (%)"), totals["all_vae_share"]],
                [
                    _("Depuis l'origine : part du contrat de professionnalisation (%)"),
                    totals["all_professionalisation_share"],
                ],
                [
                    _("Depuis l'origine : part des premières certifications (%)"),
                    totals["all_first_certification_share"],
                ],
            ],
        ),
        Table(
            "par-annee",
            _("Décisions par année"),
            [_("Année"), *_count_columns()],
            [[row["year"], *_counts(row)] for row in figures["by_year"]],
        ),
        Table(
            "historique",
            _("CQPI délivrés par année depuis l'origine"),
            [
                _("Année"),
                _("Certificats délivrés avant la plateforme"),
                _("Attestations partielles délivrées avant la plateforme"),
                _("Délivrances totales sur la plateforme"),
                _("Validations partielles sur la plateforme"),
                _("CQPI délivrés"),
            ],
            [
                [
                    row["year"],
                    row["historic_awards"],
                    row["historic_partials"],
                    row["awards"],
                    row["partials"],
                    row["all_awards"],
                ]
                for row in figures["history"]
            ],
        ),
        Table(
            "par-cqpi",
            _("Décisions par CQPI"),
            [_("CQPI"), *_count_columns(), *_historic_columns()],
            [[row["cqpi"], *_counts(row), *_historic(row)] for row in figures["by_cqpi"]],
        ),
        Table(
            "par-voie",
            _("Délivrances par voie d'accès"),
            [_("Voie d'accès"), *_count_columns(), _("Part des délivrances (%)")],
            [
                [
                    row["label"],
                    *_counts(row),
                    round(100 * row["awards"] / awards, 1) if awards else None,
                ]
                for row in figures["by_route"]
            ],
        ),
        Table(
            "par-branche",
            _("Activité par branche"),
            [
                _("Branche"),
                *_count_columns(),
                *_historic_columns(),
                _("Évaluateurs habilités"),
                _("Sessions de jury tenues"),
            ],
            [
                [
                    row["branch"],
                    *_counts(row),
                    *_historic(row),
                    row["evaluators"],
                    row["jury_sessions"],
                ]
                for row in figures["by_branch"]
            ],
        ),
    ]


def table_by_slug(figures: dict[str, Any], slug: str) -> Table | None:
    return next((t for t in figure_tables(figures) if t.slug == slug), None)


def chart_specs(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """What `static/js/figures.js` draws: each chart's French title, axes and series."""
    outcome_series = [
        ("awards", _("Délivrances totales")),
        ("partials", _("Validations partielles")),
        ("refusals", _("Refus")),
        ("revoked", _("Révoqués")),
    ]

    def series(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"label": label, "data": [r[key] for r in rows]} for key, label in outcome_series]

    return [
        {
            "id": "chart-par-annee",
            "type": "bar",
            "stacked": True,
            "title": _("Décisions du jury par année"),
            "x_title": _("Année"),
            "y_title": _("Nombre de décisions"),
            "labels": [str(r["year"]) for r in figures["by_year"]],
            "datasets": series(figures["by_year"]),
        },
        {
            "id": "chart-historique",
            "type": "bar",
            "stacked": True,
            "title": _("CQPI délivrés par année depuis l'origine"),
            "x_title": _("Année"),
            "y_title": _("Nombre de certificats"),
            "labels": [str(r["year"]) for r in figures["history"]],
            "datasets": [
                {
                    "label": _("Délivrés avant la plateforme"),
                    "data": [r["historic_awards"] for r in figures["history"]],
                },
                {
                    "label": _("Délivrés sur la plateforme"),
                    "data": [r["awards"] for r in figures["history"]],
                },
            ],
        },
        {
            "id": "chart-par-voie",
            "type": "bar",
            "stacked": False,
            "title": _("Délivrances totales par voie d'accès"),
            "x_title": _("Voie d'accès"),
            "y_title": _("Nombre de délivrances"),
            "labels": [r["label"] for r in figures["by_route"]],
            "datasets": [
                {
                    "label": _("Délivrances totales"),
                    "data": [r["awards"] for r in figures["by_route"]],
                }
            ],
        },
        {
            "id": "chart-par-cqpi",
            "type": "bar",
            "horizontal": True,
            "stacked": True,
            "title": _("Décisions du jury par CQPI"),
            "x_title": _("Nombre de décisions"),
            "y_title": _("CQPI"),
            "labels": [r["cqpi"] for r in figures["by_cqpi"]],
            "datasets": [
                *series(figures["by_cqpi"]),
                {
                    "label": _("Délivrés avant la plateforme"),
                    "data": [r["historic_awards"] for r in figures["by_cqpi"]],
                },
            ],
        },
        {
            "id": "chart-par-branche",
            "type": "bar",
            "stacked": False,
            "title": _("Délivrances, évaluateurs et sessions de jury par branche"),
            "x_title": _("Branche"),
            "y_title": _("Nombre"),
            "labels": [r["branch"] for r in figures["by_branch"]],
            "datasets": [
                {
                    "label": _("Délivrances totales"),
                    "data": [r["awards"] for r in figures["by_branch"]],
                },
                {
                    "label": _("Délivrés avant la plateforme"),
                    "data": [r["historic_awards"] for r in figures["by_branch"]],
                },
                {
                    "label": _("Évaluateurs habilités"),
                    "data": [r["evaluators"] for r in figures["by_branch"]],
                },
                {
                    "label": _("Sessions de jury tenues"),
                    "data": [r["jury_sessions"] for r in figures["by_branch"]],
                },
            ],
        },
    ]
