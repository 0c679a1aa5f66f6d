"""The 22 branches that signed the charte nationale paritaire des CQPI (brochure), with
illustrative signature dates, approving bodies (the certifier) and signatories' titles."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Names of people are not published: each branch names its signatory and uploads the
# signature in its settings; until then the compliance gate refuses to issue.
PLACE_OF_ISSUE = "Paris"


# Short prefixes of dossier and certificate numbers (Branch.prefix).
PREFIXES: dict[str, str] = {
    "agroalimentaire": "AGRO",
    "ameublement": "AMEUB",
    "caoutchouc": "CAOUT",
    "chaussure": "CHAUS",
    "chimie": "CHIM",
    "commerce-distribution": "CDPA",
    "eaux-boissons-biere": "EBB",
    "entretien-textiles": "ENTEX",
    "travail-temporaire": "ETT",
    "grands-magasins": "GMMP",
    "habillement": "HABIL",
    "recuperation": "RECUP",
    "ingenierie-informatique-conseil": "SYNTEC",
    "maroquinerie": "MAROQ",
    "medicament": "MEDIC",
    "metallurgie": "METAL",
    "miroiterie": "MIROI",
    "papiers-cartons": "PAPCA",
    "restauration-collective": "RESCO",
    "tannerie-megisserie": "TANME",
    "textile": "TEXT",
    "vente-a-distance": "VAD",
}


@dataclass(frozen=True)
class BranchData:
    code: str
    name: str
    committee: str  # "CPNE" or "CPNEFP": the body that approved the charter and signs
    signed_on: datetime.date
    # Months a partial validation stays valid; None: for life.
    partial_validity_months: int | None = 60

    @property
    def prefix(self) -> str:
        return PREFIXES[self.code]

    @property
    def approving_body(self) -> str:
        return f"{self.committee} de la branche {self.name}"

    @property
    def certifier_name(self) -> str:
        """The certifier printed on documents: the committee that approved the charter."""
        return self.approving_body

    @property
    def signatory_title(self) -> str:
        return f"Président(e) de la {self.committee} de la branche {self.name}"


D = datetime.date

BRANCHES: list[BranchData] = [
    BranchData("agroalimentaire", "Agro-alimentaire", "CPNEFP", D(2006, 11, 14)),
    BranchData("ameublement", "Ameublement", "CPNEFP", D(2009, 3, 5)),
    BranchData("caoutchouc", "Caoutchouc", "CPNE", D(2008, 6, 19)),
    BranchData("chaussure", "Chaussure", "CPNEFP", D(2010, 1, 21)),
    BranchData("chimie", "Chimie", "CPNE", D(2006, 7, 6), partial_validity_months=None),
    BranchData(
        "commerce-distribution",
        "Commerce et Distribution à prédominance alimentaire",
        "CPNE",
        D(2007, 4, 12),
        partial_validity_months=24,
    ),
    BranchData(
        "eaux-boissons-biere",
        "Eaux embouteillées, boissons rafraîchissantes sans alcool et bière",
        "CPNEFP",
        D(2011, 5, 26),
    ),
    BranchData("entretien-textiles", "Entretien des textiles", "CPNEFP", D(2010, 9, 30)),
    BranchData(
        "travail-temporaire",
        "Entreprises de travail temporaire",
        "CPNE",
        D(2009, 11, 17),
        partial_validity_months=24,
    ),
    BranchData(
        "grands-magasins", "Grands magasins et magasins populaires", "CPNEFP", D(2008, 2, 28)
    ),
    BranchData("habillement", "Habillement", "CPNEFP", D(2009, 6, 11)),
    BranchData(
        "recuperation", "Industries et commerces de la récupération", "CPNE", D(2011, 10, 13)
    ),
    BranchData(
        "ingenierie-informatique-conseil",
        "Ingénierie Services informatiques et Conseil",
        "CPNEFP",
        D(2012, 3, 22),
    ),
    BranchData("maroquinerie", "Maroquinerie", "CPNEFP", D(2010, 4, 8)),
    BranchData("medicament", "Médicament", "CPNEFP", D(2007, 10, 4)),
    BranchData("metallurgie", "Métallurgie", "CPNE", D(2006, 3, 30)),
    BranchData("miroiterie", "Miroiterie", "CPNEFP", D(2012, 6, 14)),
    BranchData("papiers-cartons", "Papiers Cartons", "CPNE", D(2007, 12, 13)),
    BranchData("restauration-collective", "Restauration collective", "CPNEFP", D(2011, 2, 10)),
    BranchData("tannerie-megisserie", "Tannerie Mégisserie", "CPNEFP", D(2010, 11, 25)),
    BranchData("textile", "Textile", "CPNE", D(2006, 12, 7)),
    BranchData("vente-a-distance", "Vente à distance", "CPNEFP", D(2008, 9, 25)),
]
