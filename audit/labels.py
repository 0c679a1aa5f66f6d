"""French labels of the audit actions, for the trail's page and filters."""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "auth.login": _("Connexion"),
    "auth.logout": _("Déconnexion"),
    "auth.login_failed": _("Échec de connexion"),
    "auth.lockout": _("Compte bloqué après des échecs"),
    "auth.session_ended": _("Session fermée"),
    "auth.session_expired": _("Session expirée"),
    "auth.account_activated": _("Compte activé"),
    "auth.password_reset_requested": _("Réinitialisation du mot de passe demandée"),
    "auth.password_reset": _("Mot de passe réinitialisé"),
    "auth.two_factor_enabled": _("Double authentification activée"),
    "auth.two_factor_verified": _("Double authentification validée"),
    "auth.two_factor_failed": _("Code de double authentification refusé"),
    "auth.user_deactivated": _("Compte désactivé"),
    "api.token_created": _("Jeton d'API créé"),
    "access.denied": _("Accès refusé"),
    "candidate.invite": _("Candidat invité à son espace"),
    "candidate.create": _("Candidat enregistré"),
    "candidate.identity_updated": _("Identité du candidat corrigée"),
    "dossier.open": _("Dossier ouvert"),
    "dossier.transition": _("Dossier : changement de statut"),
    "evidence.add": _("Pièce déposée"),
    "evidence.download": _("Pièce téléchargée"),
    "evidence_dossier.submit": _("Dossier de preuves transmis par le candidat"),
    "evidence_dossier.return": _("Dossier de preuves renvoyé au candidat"),
    "evaluation.assign": _("Évaluation confiée"),
    "evaluation.reassign": _("Grille confiée à un autre évaluateur"),
    "evaluation.appointment": _("Rendez-vous d'évaluation fixé, déplacé ou annulé"),
    "evaluation.answer": _("Réponse du candidat à sa convocation à l'évaluation"),
    "evaluation.remind": _("Rappel du rendez-vous d'évaluation envoyé"),
    "dossier.remind_staff": _("Rappel à la branche : dossier en attente"),
    "evidence_dossier.remind": _("Rappel au candidat : dossier de preuves non transmis"),
    "certificate.expiry_alert": _("Alerte d'échéance d'une validation partielle"),
    "person.link": _("Candidat rattaché à une personne (avec son consentement)"),
    "person.merge": _("Deux fiches de personne fusionnées"),
    "person.claim_merge": _("Fiche de personne fusionnée par la revendication de son titulaire"),
    "dossier.credit": _("Capacités créditées au dossier depuis un document délivré"),
    "equivalence.propose": _("Équivalence proposée"),
    "equivalence.approve": _("Équivalence approuvée"),
    "equivalence.supersede": _("Équivalence remplacée"),
    "calendar_feed.regenerate": _("Adresse de l'agenda d'un évaluateur renouvelée"),
    "calendar_feed.revoke": _("Adresse de l'agenda d'un évaluateur retirée"),
    "sheet.save": _("Grille enregistrée"),
    "sheet.submit": _("Grille transmise"),
    "session.create": _("Session de jury créée"),
    "session.convoke": _("Membre du jury convoqué"),
    "session.release": _("Convocation d'un membre du jury retirée"),
    "session.reschedule": _("Session de jury déplacée (date ou lieu)"),
    "session.answer": _("Réponse d'un membre du jury à sa convocation"),
    "session.remind": _("Rappel envoyé à un membre du jury convoqué"),
    "session.presence": _("Présence d'un membre du jury"),
    "session.add_dossier": _("Dossier inscrit à un jury"),
    "session.open": _("Session de jury ouverte"),
    "session.close": _("Session de jury close"),
    "decision.record": _("Décision du jury"),
    "proposal.put": _("Proposition de décision mise aux voix"),
    "proposal.vote": _("Vote d'un membre du jury"),
    "proposal.show_of_hands": _("Vote à main levée enregistré"),
    "proposal.withdraw": _("Proposition de décision retirée"),
    "proposal.adopted": _("Proposition de décision adoptée"),
    "proposal.rejected": _("Proposition de décision rejetée"),
    "minutes.sign": _("Procès-verbal signé"),
    "minutes.sealed": _("Procès-verbal scellé"),
    "minutes.reauth_failed": _("Signature du procès-verbal refusée (ré-authentification)"),
    "certificate.issue": _("Certificat délivré"),
    "certificate.revoke": _("Certificat révoqué"),
    "certificate.reissue": _("Certificat réédité"),
    "certificate.retry_render": _("Certificat : rendu relancé"),
    "certificate.mark_reported": _("Certificats déclarés"),
    "declaration.flux_created": _("Flux de déclaration à la Caisse des Dépôts produit"),
    "declaration.acknowledged": _("Accusé de réception de la Caisse des Dépôts enregistré"),
    "declaration.corrected": _("Déclaration corrective enregistrée"),
    "branch.change": _("Branche modifiée"),
    "branch.settings_updated": _("Paramètres de la branche modifiés"),
    "habilitation.granted": _("Évaluateur habilité"),
    "habilitation.ended": _("Fin d'habilitation"),
    "habilitation.suspended": _("Habilitation suspendue"),
    "habilitation.suspension_lifted": _("Suspension d'habilitation levée"),
    "conflict.declared": _("Conflit d'intérêts déclaré"),
    "membership.added": _("Rôle donné dans la branche"),
    "company.registered": _("Entreprise enregistrée"),
    "dossier.import": _("Dossiers importés d'un fichier"),
    "historic.import": _("Certificats antérieurs à la plateforme importés d'un fichier"),
    "historic.claim_invite": _("Titulaire invité à revendiquer un certificat antérieur"),
    "historic.claim": _("Certificat antérieur revendiqué par son titulaire"),
    "historic.claim_refused": _("Revendication d'un certificat antérieur refusée"),
    "historic.persons_backfill": _("Certificats antérieurs rattachés à des personnes (reprise)"),
    "membership.deactivated": _("Rôle retiré dans la branche"),
    "company.referent_appoint": _("Référent d'entreprise nommé"),
    "company.referent_remove": _("Référent d'entreprise retiré"),
    "privacy.retention": _("Durées de conservation appliquées"),
    "privacy.retention_branch": _("Durées de conservation appliquées dans la branche"),
    "erasure.request": _("Effacement des données demandé"),
    "erasure.approve": _("Effacement des données accepté"),
    "erasure.refuse": _("Effacement des données refusé"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


# Labels of the states an event moves an object to (`details["to"]`), given by the rooms that
# own those states (they sit above this one): "→ Prêt pour le jury", never a raw code.
_STATE_LABELS: dict[str, Any] = {}


def register_state_labels(choices: Iterable[tuple[str, Any]]) -> None:
    """Called by a room's AppConfig.ready() with its states' (value, label) choices."""
    _STATE_LABELS.update(dict(choices))


def state_label(value: Any) -> str:
    return str(_STATE_LABELS.get(value, value))
