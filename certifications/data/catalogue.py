"""The 9 CQPI of the brochure, as documents of the import format (docs/referentiel-format.md).

Titles and descriptions come from the brochure. Blocs, capacities, indicators, levels, NSF codes,
registration codes and accord dates are ILLUSTRATIVE: the official référentiels were not found
(only "Vente conseil en magasin" is known to have 7 domaines de compétences). Each version says
so, and the CQPI is flagged `illustrative`; an official file imported with `import_referentiel`
replaces the content with a new version.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

ILLUSTRATIVE_NOTE = (
    "Contenu illustratif — à remplacer par le référentiel officiel via import_referentiel."
)
REGISTRATION_YEARS = 5
DEFAULT_THRESHOLD = 3
MAX_MARK = 4


def critical(label: str) -> tuple[str, int]:
    """An indicator that must be fully met (safety, conformity): threshold at the maximum mark."""
    return (label, MAX_MARK)


Indicator = str | tuple[str, int]
Capacities = list[tuple[str, list[Indicator]]]


@dataclass(frozen=True)
class CqpiData:
    code: str
    title: str
    description: str
    level: str
    nsf_codes: list[str]
    registration_code: str
    decision_date: datetime.date
    adoptions: list[tuple[str, datetime.date]]
    blocs: list[tuple[str, Capacities]]
    extra_note: str = ""


D = datetime.date

CATALOGUE: list[CqpiData] = [
    CqpiData(
        code="conducteur-equipements-industriels",
        title="Conducteur d'équipements industriels",
        description=(
            "Il effectue les opérations de conduite du procédé de fabrication : "
            "approvisionnement et préparation des installations, réglages et mise en route, "
            "essais, conduite de systèmes de production en marche normale et en mode dégradé, "
            "entretien et maintenance des systèmes et matériels conduits."
        ),
        level="3",
        nsf_codes=["201", "220"],
        registration_code="RNCP99001",
        decision_date=D(2023, 3, 15),
        adoptions=[
            ("metallurgie", D(2008, 6, 12)),
            ("chimie", D(2008, 9, 18)),
            ("agroalimentaire", D(2009, 2, 5)),
            ("papiers-cartons", D(2009, 11, 26)),
            ("caoutchouc", D(2010, 5, 20)),
            ("textile", D(2011, 3, 17)),
            ("eaux-boissons-biere", D(2012, 10, 4)),
            ("medicament", D(2013, 6, 27)),
        ],
        blocs=[
            (
                "Préparer et approvisionner les installations de production",
                [
                    (
                        "Approvisionner le poste en matières, composants et consommables",
                        [
                            "Les approvisionnements sont conformes à l'ordre de fabrication",
                            "Les quantités et références sont vérifiées avant le lancement",
                            "Les règles de stockage et de manutention sont respectées",
                        ],
                    ),
                    (
                        "Préparer et régler l'équipement selon le dossier de fabrication",
                        [
                            "Les réglages correspondent aux paramètres du dossier de fabrication",
                            "Les essais de démarrage sont réalisés et consignés",
                        ],
                    ),
                    (
                        "Mettre en route l'installation en sécurité",
                        [
                            critical(
                                "Les consignes de sécurité et de consignation sont appliquées"
                            ),
                            "Les premières pièces ou premiers lots sont contrôlés et validés",
                        ],
                    ),
                ],
            ),
            (
                "Conduire un système de production",
                [
                    (
                        "Conduire l'installation en marche normale",
                        [
                            "Les paramètres de conduite sont surveillés et tenus dans les tolérances",
                            "La cadence et la qualité attendues sont atteintes",
                        ],
                    ),
                    (
                        "Conduire l'installation en mode dégradé",
                        [
                            "Les dérives et anomalies sont détectées et qualifiées",
                            "Les actions correctives de premier niveau sont appropriées",
                            "L'alerte est donnée au bon interlocuteur dans les délais",
                        ],
                    ),
                    (
                        "Contrôler la conformité des produits fabriqués",
                        [
                            "Les contrôles prévus au plan de surveillance sont réalisés",
                            "Les produits non conformes sont isolés et tracés",
                        ],
                    ),
                ],
            ),
            (
                "Entretenir les matériels conduits et transmettre les informations",
                [
                    (
                        "Réaliser l'entretien et la maintenance de premier niveau",
                        [
                            "Les opérations de premier niveau sont réalisées selon la gamme",
                            "L'état du poste après intervention permet la reprise de production",
                        ],
                    ),
                    (
                        "Transmettre les informations de production",
                        [
                            "Les documents de suivi de production sont renseignés avec exactitude",
                            "La passation de consignes entre équipes est complète",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="technicien-maintenance-industrielle",
        title="Technicien de maintenance industrielle",
        description=(
            "Il réalise des interventions de maintenance préventive ou curative en mécanique, "
            "électrotechnique, automatismes. Il communique avec les différents acteurs du "
            "process, utilise et traite des informations écrites et orales, conduit des actions "
            "de progrès ou d'amélioration de process."
        ),
        level="4",
        nsf_codes=["250", "201"],
        registration_code="RNCP99002",
        decision_date=D(2022, 9, 20),
        adoptions=[
            ("metallurgie", D(2008, 6, 12)),
            ("chimie", D(2009, 1, 22)),
            ("agroalimentaire", D(2009, 6, 4)),
            ("papiers-cartons", D(2010, 3, 11)),
            ("caoutchouc", D(2011, 9, 29)),
            ("medicament", D(2012, 12, 6)),
        ],
        blocs=[
            (
                "Réaliser des interventions de maintenance préventive et curative",
                [
                    (
                        "Diagnostiquer une défaillance en mécanique, électrotechnique ou "
                        "automatismes",
                        [
                            "La démarche de diagnostic est méthodique et argumentée",
                            "La cause de la défaillance est identifiée",
                            "Les appareils de mesure et de diagnostic sont utilisés à bon escient",
                        ],
                    ),
                    (
                        "Réaliser une intervention de maintenance curative",
                        [
                            critical("Les règles de consignation et de sécurité sont respectées"),
                            "Le fonctionnement de l'équipement est rétabli et vérifié",
                        ],
                    ),
                    (
                        "Mettre en œuvre le plan de maintenance préventive",
                        [
                            "Les opérations préventives suivent le planning et les gammes",
                            "Les constats sont enregistrés dans l'outil de GMAO",
                        ],
                    ),
                ],
            ),
            (
                "Communiquer avec les acteurs du process",
                [
                    (
                        "Utiliser et traiter des informations écrites et orales",
                        [
                            "Les documents techniques (schémas, plans, notices) sont exploités "
                            "correctement",
                            "Le compte rendu d'intervention est précis et exploitable",
                        ],
                    ),
                    (
                        "Échanger avec la production et les services supports",
                        [
                            "Les informations utiles sont recueillies auprès des utilisateurs",
                            "Les consignes de remise en service sont transmises clairement",
                        ],
                    ),
                ],
            ),
            (
                "Conduire des actions de progrès",
                [
                    (
                        "Analyser les données de maintenance",
                        [
                            "Les indicateurs de maintenance sont calculés et interprétés",
                            "Les pannes récurrentes sont identifiées",
                        ],
                    ),
                    (
                        "Proposer et conduire une amélioration du process",
                        [
                            "La proposition d'amélioration est chiffrée et argumentée",
                            "La mise en œuvre est suivie et son efficacité mesurée",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="operateur-maintenance-industrielle",
        title="Opérateur de maintenance industrielle",
        description=(
            "Il réalise des interventions de maintenance sur des équipements industriels "
            "pluri-technologiques : prédiagnostics, contrôles et mesures préventifs, "
            "remplacements de sous-ensembles et communication technique avec les utilisateurs."
        ),
        level="3",
        nsf_codes=["250"],
        registration_code="RNCP99003",
        decision_date=D(2024, 1, 25),
        adoptions=[
            ("metallurgie", D(2009, 10, 15)),
            ("chimie", D(2010, 2, 25)),
            ("agroalimentaire", D(2010, 6, 17)),
            ("papiers-cartons", D(2011, 1, 13)),
            ("textile", D(2012, 4, 19)),
        ],
        blocs=[
            (
                "Réaliser la maintenance préventive",
                [
                    (
                        "Effectuer les contrôles et mesures préventifs",
                        [
                            "Les contrôles sont réalisés selon la gamme de maintenance",
                            "Les mesures relevées sont comparées aux valeurs de référence",
                        ],
                    ),
                    (
                        "Réaliser les opérations de maintenance systématique",
                        [
                            critical("Les opérations respectent les règles de sécurité"),
                            "Les pièces d'usure sont remplacées selon les préconisations",
                        ],
                    ),
                ],
            ),
            (
                "Intervenir sur un équipement pluri-technologique",
                [
                    (
                        "Établir un prédiagnostic",
                        [
                            "Les symptômes sont décrits avec précision",
                            "Le sous-ensemble défaillant est localisé",
                        ],
                    ),
                    (
                        "Remplacer un sous-ensemble",
                        [
                            "Le démontage et le remontage respectent les procédures",
                            "Les essais de bon fonctionnement sont réalisés",
                            "Le poste est rendu propre et en sécurité",
                        ],
                    ),
                ],
            ),
            (
                "Communiquer sur les interventions",
                [
                    (
                        "Communiquer avec les utilisateurs de l'équipement",
                        [
                            "L'utilisateur est informé de la nature et de la durée de "
                            "l'intervention",
                            "Les consignes de redémarrage sont transmises",
                        ],
                    ),
                    (
                        "Rendre compte de son intervention",
                        [
                            "Le rapport d'intervention est complet",
                            "Les anomalies constatées sont signalées",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="agent-logistique",
        title="Agent logistique",
        description=(
            "Il assure la réception, l'expédition, le chargement/déchargement, le stockage, "
            "l'entreposage et la sortie de stock. Il prépare les commandes, réalise les "
            "inventaires, assure le suivi et mise à jour des stocks."
        ),
        level="3",
        nsf_codes=["311"],
        registration_code="RNCP99004",
        decision_date=D(2023, 6, 29),
        adoptions=[
            ("commerce-distribution", D(2008, 4, 10)),
            ("agroalimentaire", D(2008, 11, 20)),
            ("metallurgie", D(2009, 3, 26)),
            ("chimie", D(2009, 9, 10)),
            ("vente-a-distance", D(2010, 1, 28)),
            ("recuperation", D(2012, 5, 24)),
            ("grands-magasins", D(2013, 2, 14)),
        ],
        blocs=[
            (
                "Réceptionner et expédier les marchandises",
                [
                    (
                        "Réceptionner les marchandises",
                        [
                            "La conformité de la livraison est vérifiée (quantités, références, "
                            "état)",
                            "Les réserves sont portées sur les documents de transport",
                            "Les entrées sont saisies dans le système d'information",
                        ],
                    ),
                    (
                        "Préparer et expédier les commandes",
                        [
                            "Les commandes préparées sont conformes au bon de préparation",
                            "Les colis sont conditionnés et étiquetés selon les règles",
                        ],
                    ),
                    (
                        "Charger et décharger en sécurité",
                        [
                            critical(
                                "Les engins de manutention sont conduits dans le respect des règles"
                            ),
                            "Le plan de chargement est respecté",
                        ],
                    ),
                ],
            ),
            (
                "Stocker et suivre les stocks",
                [
                    (
                        "Stocker et entreposer les produits",
                        [
                            "Les emplacements attribués sont respectés",
                            "Les règles de rotation des stocks sont appliquées",
                        ],
                    ),
                    (
                        "Réaliser les inventaires",
                        [
                            "Les comptages sont exacts",
                            "Les écarts sont analysés et signalés",
                        ],
                    ),
                    (
                        "Assurer le suivi et la mise à jour des stocks",
                        [
                            "Les mouvements de stock sont enregistrés en temps réel",
                            "Les seuils de réapprovisionnement sont surveillés",
                        ],
                    ),
                ],
            ),
            (
                "Travailler en équipe dans le respect des règles",
                [
                    (
                        "Appliquer les règles d'hygiène, de sécurité et d'environnement",
                        [
                            "Les équipements de protection individuelle sont portés",
                            "Le tri des déchets d'emballage est effectué",
                        ],
                    ),
                    (
                        "Communiquer au sein de l'équipe logistique",
                        [
                            "Les informations du poste sont transmises à l'équipe suivante",
                            "Les difficultés sont signalées au responsable",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="technicien-qualite",
        title="Technicien de la qualité",
        description=(
            "Dans le cadre d'une démarche qualité (ISO 9001 ou autres) et dans le respect des "
            "procédures et règles d'hygiène et de sécurité, le technicien de la qualité optimise "
            "les processus d'organisation de l'entreprise. Il met en œuvre des outils d'analyse "
            "et de suivi et met en place des démarches d'amélioration continue."
        ),
        level="4",
        nsf_codes=["200", "201"],
        registration_code="RNCP99005",
        decision_date=D(2022, 12, 8),
        adoptions=[
            ("metallurgie", D(2009, 5, 14)),
            ("chimie", D(2009, 7, 2)),
            ("agroalimentaire", D(2010, 4, 15)),
            ("medicament", D(2011, 11, 24)),
        ],
        blocs=[
            (
                "Mettre en œuvre la démarche qualité",
                [
                    (
                        "Appliquer les exigences du système de management de la qualité",
                        [
                            "Les procédures applicables sont identifiées et respectées",
                            "Les enregistrements qualité sont tenus à jour",
                        ],
                    ),
                    (
                        "Participer aux audits internes",
                        [
                            "L'audit est préparé à partir d'un référentiel",
                            "Les écarts relevés sont formulés de façon factuelle",
                        ],
                    ),
                ],
            ),
            (
                "Analyser et suivre les processus",
                [
                    (
                        "Mettre en œuvre des outils d'analyse",
                        [
                            "L'outil choisi est adapté au problème (Pareto, 5M, AMDEC…)",
                            "Les causes racines sont identifiées",
                        ],
                    ),
                    (
                        "Construire et suivre des indicateurs qualité",
                        [
                            "Les indicateurs sont pertinents et correctement calculés",
                            "Les résultats sont présentés de façon exploitable",
                        ],
                    ),
                    (
                        "Traiter les non-conformités",
                        [
                            "Les non-conformités sont enregistrées et caractérisées",
                            "Les actions curatives sont mises en œuvre dans les délais",
                        ],
                    ),
                ],
            ),
            (
                "Conduire l'amélioration continue",
                [
                    (
                        "Piloter une action d'amélioration",
                        [
                            "Le plan d'action précise responsables, délais et moyens",
                            "L'efficacité de l'action est vérifiée",
                        ],
                    ),
                    (
                        "Intégrer l'hygiène et la sécurité aux processus",
                        [
                            "Les risques liés au processus sont identifiés",
                            critical("Les règles sont rappelées aux opérateurs concernés"),
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="operateur-qualite",
        title="Opérateur qualité",
        description=(
            "Il identifie le travail de contrôle qualité à effectuer à partir des instructions. "
            "Il réalise le contrôle qualité des articles/produits selon les critères définis en "
            "évaluant les caractéristiques techniques des produits (détection et traitement des "
            "défauts). Il trace et rend compte de son contrôle."
        ),
        level="3",
        nsf_codes=["200"],
        registration_code="RNCP99006",
        decision_date=D(2024, 5, 16),
        adoptions=[
            ("metallurgie", D(2010, 9, 16)),
            ("chimie", D(2010, 12, 9)),
            ("textile", D(2011, 6, 23)),
            ("habillement", D(2011, 10, 20)),
            ("maroquinerie", D(2012, 3, 8)),
            ("chaussure", D(2012, 9, 13)),
        ],
        blocs=[
            (
                "Préparer le contrôle qualité",
                [
                    (
                        "Identifier le travail de contrôle à partir des instructions",
                        [
                            "Les instructions de contrôle sont correctement interprétées",
                            "Les moyens de contrôle nécessaires sont réunis",
                        ],
                    ),
                    (
                        "Vérifier les moyens de mesure",
                        [
                            "L'étalonnage des instruments est vérifié avant usage",
                            "Les instruments non conformes sont écartés",
                        ],
                    ),
                ],
            ),
            (
                "Contrôler les articles et produits",
                [
                    (
                        "Évaluer les caractéristiques techniques des produits",
                        [
                            "Les caractéristiques contrôlées correspondent aux critères définis",
                            "Les mesures sont exactes et reproductibles",
                        ],
                    ),
                    (
                        "Détecter et traiter les défauts",
                        [
                            "Les défauts sont identifiés et classés selon leur gravité",
                            critical("Les produits non conformes sont isolés et identifiés"),
                            "Le traitement appliqué est conforme à la procédure",
                        ],
                    ),
                ],
            ),
            (
                "Tracer et rendre compte du contrôle",
                [
                    (
                        "Tracer les contrôles réalisés",
                        [
                            "Les résultats sont enregistrés sur les supports prévus",
                            "La traçabilité des lots est assurée",
                        ],
                    ),
                    (
                        "Rendre compte de son contrôle",
                        [
                            "Les anomalies sont signalées au bon interlocuteur",
                            "Les informations transmises sont précises et factuelles",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="animateur-equipe-industriel",
        title="Animateur d'équipe domaine industriel",
        description=(
            "Il coordonne une équipe, de l'organisation de son activité à la gestion individuelle "
            "de ses collaborateurs ; il recherche, grâce au suivi et à l'analyse d'indicateurs, "
            "des pistes de progrès en favorisant une communication adaptée ascendante et "
            "descendante."
        ),
        level="4",
        nsf_codes=["200", "310"],
        registration_code="RNCP99007",
        decision_date=D(2023, 10, 5),
        adoptions=[
            ("metallurgie", D(2010, 11, 18)),
            ("chimie", D(2011, 1, 27)),
            ("agroalimentaire", D(2011, 5, 12)),
            ("papiers-cartons", D(2012, 2, 2)),
            ("ameublement", D(2014, 4, 10)),
        ],
        blocs=[
            (
                "Organiser l'activité de l'équipe",
                [
                    (
                        "Planifier et répartir le travail",
                        [
                            "Les affectations tiennent compte des compétences et des priorités",
                            "Le planning est communiqué et ajusté en cas d'aléa",
                        ],
                    ),
                    (
                        "Faire respecter les règles de sécurité et de qualité",
                        [
                            "Les règles sont rappelées et leur application contrôlée",
                            critical("Les situations dangereuses sont traitées sans délai"),
                        ],
                    ),
                ],
            ),
            (
                "Accompagner individuellement les collaborateurs",
                [
                    (
                        "Accueillir et intégrer un nouveau collaborateur",
                        [
                            "Le parcours d'intégration est préparé",
                            "Les consignes du poste sont transmises et leur compréhension vérifiée",
                        ],
                    ),
                    (
                        "Évaluer les compétences et repérer les besoins de formation",
                        [
                            "Les compétences sont évaluées à partir de faits observés",
                            "Les besoins de formation sont formalisés",
                        ],
                    ),
                ],
            ),
            (
                "Suivre et analyser les indicateurs",
                [
                    (
                        "Suivre les indicateurs de performance de l'équipe",
                        [
                            "Les indicateurs sont mis à jour et affichés",
                            "Les écarts aux objectifs sont analysés",
                        ],
                    ),
                    (
                        "Proposer des pistes de progrès",
                        [
                            "Les propositions s'appuient sur l'analyse des indicateurs",
                            "Les propositions sont formalisées et chiffrées",
                        ],
                    ),
                ],
            ),
            (
                "Communiquer dans l'entreprise",
                [
                    (
                        "Animer une réunion d'équipe",
                        [
                            "La réunion est préparée et son ordre du jour respecté",
                            "Chacun peut s'exprimer ; les décisions sont formalisées",
                        ],
                    ),
                    (
                        "Assurer la communication ascendante et descendante",
                        [
                            "Les informations de la direction sont relayées fidèlement",
                            "Les remontées du terrain sont transmises à la hiérarchie",
                        ],
                    ),
                    (
                        "Gérer une situation conflictuelle",
                        [
                            "Les faits sont établis avant toute décision",
                            "La solution retenue est expliquée aux personnes concernées",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="vente-conseil-magasin",
        title="Vente conseil en magasin",
        description=(
            "Il accueille, informe et conseille la clientèle sur un point de vente, analyse ses "
            "besoins et lui vend des produits et services adaptés. Il fidélise la clientèle et "
            "traite les réclamations simples. Il assure le bon état marchand de son rayon ou son "
            "magasin et met en valeur les produits, en accord avec le merchandising de "
            "l'entreprise."
        ),
        level="3",
        nsf_codes=["312"],
        registration_code="RNCP99008",
        decision_date=D(2023, 2, 2),
        adoptions=[
            ("commerce-distribution", D(2007, 11, 22)),
            ("grands-magasins", D(2008, 5, 15)),
            ("habillement", D(2009, 10, 1)),
        ],
        extra_note=(
            "Les 7 domaines de compétences connus de ce CQPI sont représentés par 7 capacités "
            "réparties en 3 blocs."
        ),
        blocs=[
            (
                "Accueillir, conseiller et vendre",
                [
                    (
                        "Accueillir et informer la clientèle",
                        [
                            "L'accueil est courtois et personnalisé",
                            "Les informations données sur les produits et services sont exactes",
                        ],
                    ),
                    (
                        "Analyser les besoins du client",
                        [
                            "Le questionnement cerne les besoins et les motivations",
                            "La reformulation est validée par le client",
                        ],
                    ),
                    (
                        "Vendre des produits et services adaptés",
                        [
                            "La proposition correspond aux besoins exprimés",
                            "Les objections sont traitées",
                            "La vente additionnelle est proposée à bon escient",
                        ],
                    ),
                ],
            ),
            (
                "Fidéliser la clientèle",
                [
                    (
                        "Fidéliser le client",
                        [
                            "Les outils de fidélisation de l'enseigne sont présentés",
                            "La prise de congé favorise le retour du client",
                        ],
                    ),
                    (
                        "Traiter les réclamations simples",
                        [
                            "La réclamation est écoutée et reformulée",
                            "La solution apportée respecte la politique commerciale",
                        ],
                    ),
                ],
            ),
            (
                "Tenir le rayon et mettre en valeur les produits",
                [
                    (
                        "Assurer le bon état marchand du rayon ou du magasin",
                        [
                            "Les produits sont approvisionnés, étiquetés et propres",
                            "Les ruptures sont détectées et signalées",
                        ],
                    ),
                    (
                        "Mettre en valeur les produits selon le merchandising de l'entreprise",
                        [
                            "L'implantation respecte le plan de merchandising",
                            "Les mises en avant promotionnelles sont installées à temps",
                        ],
                    ),
                ],
            ),
        ],
    ),
    CqpiData(
        code="vente-conseil-distance",
        title="Vente conseil à distance",
        description=(
            "Il assure la relation clientèle à distance : il accueille et conseille le client, "
            "vend des produits et services adaptés, fidélise la clientèle, traite les "
            "réclamations. Il utilise en permanence et en simultané le téléphone couplé à "
            "l'informatique et exploite l'ensemble des outils de gestion de la relation "
            "clientèle à sa disposition."
        ),
        level="3",
        nsf_codes=["312"],
        registration_code="RNCP99009",
        decision_date=D(2024, 9, 12),
        adoptions=[
            ("vente-a-distance", D(2008, 12, 11)),
            ("commerce-distribution", D(2010, 10, 7)),
            ("grands-magasins", D(2011, 4, 21)),
        ],
        blocs=[
            (
                "Conseiller et vendre à distance",
                [
                    (
                        "Accueillir et conseiller le client à distance",
                        [
                            "La présentation respecte les consignes de l'entreprise",
                            "Le besoin du client est cerné par un questionnement adapté",
                        ],
                    ),
                    (
                        "Vendre des produits et services adaptés",
                        [
                            "L'offre proposée correspond au besoin identifié",
                            "La vente est conclue dans le respect du client",
                        ],
                    ),
                ],
            ),
            (
                "Fidéliser la clientèle et traiter les réclamations",
                [
                    (
                        "Fidéliser la clientèle",
                        [
                            "Les offres de fidélisation sont proposées",
                            "L'historique du client est exploité pour personnaliser l'échange",
                        ],
                    ),
                    (
                        "Traiter une réclamation",
                        [
                            "La réclamation est qualifiée et enregistrée",
                            "La réponse apportée est conforme aux procédures",
                            "Le client est informé des suites données",
                        ],
                    ),
                ],
            ),
            (
                "Exploiter les outils de la relation clientèle",
                [
                    (
                        "Utiliser simultanément le téléphone et l'outil informatique",
                        [
                            "La saisie se fait en cours d'appel sans nuire à l'écoute",
                            "Les informations saisies sont exactes et complètes",
                        ],
                    ),
                    (
                        "Exploiter les outils de gestion de la relation clientèle",
                        [
                            "Les fiches clients sont tenues à jour",
                            "Les outils sont utilisés pour planifier les relances",
                        ],
                    ),
                ],
            ),
        ],
    ),
]


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def document(cqpi: CqpiData) -> dict[str, Any]:
    """The CQPI as an import document (version 1, illustrative)."""
    blocs = []
    for b, (bloc_title, capacities) in enumerate(cqpi.blocs, start=1):
        items = []
        for c, (capacity_title, indicators) in enumerate(capacities, start=1):
            rows = []
            for indicator in indicators:
                label, threshold = (
                    (indicator, DEFAULT_THRESHOLD) if isinstance(indicator, str) else indicator
                )
                rows.append({"label": label, "threshold": threshold, "max_mark": MAX_MARK})
            items.append({"code": f"C{b}.{c}", "title": capacity_title, "indicators": rows})
        blocs.append({"code": f"BC{b:02d}", "title": bloc_title, "capacities": items})
    notes = ILLUSTRATIVE_NOTE + (f" {cqpi.extra_note}" if cqpi.extra_note else "")
    return {
        "code": cqpi.code,
        "title": cqpi.title,
        "description": cqpi.description,
        "level": cqpi.level,
        "eqf_level": cqpi.level,
        "nsf_codes": cqpi.nsf_codes,
        "illustrative": True,
        "registration": {
            "kind": "rncp",
            "code": cqpi.registration_code,
            "decision_date": cqpi.decision_date.isoformat(),
            "valid_until": _add_years(cqpi.decision_date, REGISTRATION_YEARS).isoformat(),
        },
        "version": {
            "number": 1,
            "effective_from": cqpi.decision_date.isoformat(),
            "notes": notes,
        },
        "blocs": blocs,
        "adoptions": [
            {"branch_code": code, "accord_date": day.isoformat()} for code, day in cqpi.adoptions
        ],
    }


def documents() -> list[dict[str, Any]]:
    return [document(cqpi) for cqpi in CATALOGUE]
