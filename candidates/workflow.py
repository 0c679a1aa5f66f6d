"""The dossier workflow as one table: its states, its transitions and the traits of each access route.

Everything that knows the path reads it here: the services take their allowed starting states
(and who may act) from it, the dossier page its actions, the candidate's space its "next step"
sentence, the CPNE's dashboard what waits on the staff. A new transition is a change here plus
its service; a new access route a change here plus its value in `AccessRoute` (the column's
choices).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from branches.access import roles_of

from .models import AccessRoute, DossierStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Dossier

S = DossierStatus
R = AccessRoute


class Party(enum.StrEnum):
    """Who acts on a dossier, or whom a dossier waits on."""

    # Staff of the dossier's branch; the national administrator may act for them.
    CPNE = "cpne"
    EVALUATOR = "evaluator"
    JURY = "jury"
    # The path has ended.
    NOBODY = "nobody"


# --- Access routes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """What an access route (voie d'accès) changes on the path."""

    value: str
    # A recevabilité decision comes before anything else, and may close the dossier (VAE).
    needs_admissibility: bool = False
    # The route goes through a training course, which the positionnement plans.
    includes_training: bool = True
    # Alternance: training and work under a contract, with a tutor in the company.
    work_study: bool = False
    # The ages the scheme is meant for (the contrat de professionnalisation: 16–25). Nothing
    # refuses another age: the law has exceptions (jobseekers over 26, among others).
    ages: tuple[int, int] | None = None

    @property
    def may_skip_positioning(self) -> bool:
        # The positionnement sets the individual training plan: without training, the
        # final evaluation may come first.
        return not self.includes_training


ROUTES: dict[str, Route] = {
    route.value: route
    for route in (
        Route(R.VAE, needs_admissibility=True, includes_training=False),
        Route(R.PROFESSIONALISATION, work_study=True, ages=(16, 25)),
        Route(R.CONTINUING),
        Route(R.PRO_A, work_study=True),
        Route(R.DIRECT, includes_training=False),
    )
}


def route(value: str) -> Route:
    return ROUTES[value]


# --- States -------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """A dossier status as the path sees it."""

    status: str
    # Whose move it is; NOBODY for the states that end the path.
    waits_on: Party
    # What comes next, told to the candidate in their space.
    next_step: StrOrPromise
    # Told instead while the route's recevabilité is still to be ruled on.
    next_step_before_admissibility: StrOrPromise | None = None
    # The kind of evaluation (evaluations.models.EvaluationKind) assigned in this state.
    evaluation_kind: str = ""

    @property
    def terminal(self) -> bool:
        return self.waits_on is Party.NOBODY


STATES: dict[str, State] = {
    state.status: state
    for state in (
        State(
            S.OPEN,
            Party.CPNE,
            _("Prochaine étape : le positionnement, un premier bilan pour définir votre parcours."),
            next_step_before_admissibility=_(
                "Votre branche examine la recevabilité de votre demande de VAE."
            ),
        ),
        State(
            S.ADMISSIBLE, Party.CPNE, _("Prochaine étape : le positionnement, puis l'évaluation.")
        ),
        State(
            S.INADMISSIBLE,
            Party.NOBODY,
            _(
                "Votre dossier est clos. Votre branche peut vous expliquer les raisons de cette "
                "décision."
            ),
        ),
        State(
            S.POSITIONING,
            Party.EVALUATOR,
            _("Prochaine étape : l'évaluation finale par un évaluateur habilité."),
            evaluation_kind="positioning",
        ),
        State(
            S.EVALUATION,
            Party.EVALUATOR,
            _(
                "Prochaine étape : une fois l'évaluation terminée, votre dossier sera présenté "
                "à un jury paritaire."
            ),
            evaluation_kind="final",
        ),
        State(
            S.READY_FOR_JURY,
            Party.CPNE,
            _("Prochaine étape : votre branche inscrira votre dossier à une session de jury."),
        ),
        State(
            S.SCHEDULED,
            Party.JURY,
            _("Prochaine étape : le jury paritaire se réunit et décide, capacité par capacité."),
        ),
        State(
            S.AWARDED,
            Party.NOBODY,
            _("Votre certificat vous est délivré : vous pouvez le télécharger ci-dessous."),
        ),
        State(
            S.PARTIALLY_AWARDED,
            Party.NOBODY,
            _("Les capacités validées vous restent acquises : vous pouvez compléter votre CQPI."),
        ),
        State(
            S.REFUSED,
            Party.NOBODY,
            _("Votre branche peut vous aider à envisager un nouveau parcours vers ce CQPI."),
        ),
        State(S.WITHDRAWN, Party.NOBODY, _("Votre dossier est clos.")),
    )
}

TERMINAL_STATUSES = frozenset(status for status, state in STATES.items() if state.terminal)


def state(status: str) -> State:
    return STATES[status]


# --- Transitions --------------------------------------------------------------------------


def _every_route(route: Route) -> bool:
    return True


@dataclass(frozen=True)
class From:
    """A starting state, for the routes that `when` accepts."""

    status: str
    when: Callable[[Route], bool] = _every_route


@dataclass(frozen=True)
class Transition:
    """A step of the path: from which states (per route), to which, who takes it, and how."""

    name: str
    sources: tuple[From, ...]
    # Where it leads; empty for an action of another room that moves no status (assigning an
    # evaluation), which the dossier page offers like the others.
    targets: tuple[str, ...]
    # Who takes it.
    by: Party
    # The function that does it, "module.function".
    service: str
    # True when another room's service drives it ("system"): that service checks who may,
    # and the dossier page does not offer it. Else the dossier page offers it to `by`, and
    # the service checks the role itself.
    system: bool = False
    # The other room's service that calls `service`, when one does.
    driven_by: str = ""
    # The key under which the CPNE's dashboard counts the dossiers waiting for this step.
    todo: str = ""
    # A fact of the dossier that withholds the action although its state allows it.
    unless: Callable[[Dossier], bool] | None = None

    def allowed_from(self, route: Route) -> frozenset[str]:
        return frozenset(source.status for source in self.sources if source.when(route))

    @property
    def on_page(self) -> bool:
        return not self.system


# evaluations.models.EvaluationStatus.IN_PROGRESS: the evaluations room sits above this one.
_EVALUATION_IN_PROGRESS = "in_progress"


def _evaluation_in_progress(dossier: Dossier) -> bool:
    """An evaluation of the kind the dossier's state assigns is under way (the detail page
    prefetches them)."""
    kind = STATES[dossier.status].evaluation_kind
    return any(
        e.kind == kind and e.status == _EVALUATION_IN_PROGRESS
        for e in dossier.evaluations.all()  # type: ignore[attr-defined]
    )


def _with_admissibility(route: Route) -> bool:
    return route.needs_admissibility


def _without_admissibility(route: Route) -> bool:
    return not route.needs_admissibility


TRANSITIONS: dict[str, Transition] = {
    transition.name: transition
    for transition in (
        Transition(
            name="admissibility",
            sources=(From(S.OPEN, when=_with_admissibility),),
            targets=(S.ADMISSIBLE, S.INADMISSIBLE),
            by=Party.CPNE,
            service="candidates.services.dossier_rule_admissibility",
            todo="admissibility",
        ),
        Transition(
            name="start_positioning",
            # Where the route's path starts: opened, or declared recevable.
            sources=(
                From(S.OPEN, when=_without_admissibility),
                From(S.ADMISSIBLE, when=_with_admissibility),
            ),
            targets=(S.POSITIONING,),
            by=Party.CPNE,
            service="candidates.services.dossier_start_positioning",
            todo="positioning",
        ),
        Transition(
            name="start_evaluation",
            sources=(
                From(S.POSITIONING),
                From(S.OPEN, when=lambda r: r.may_skip_positioning and not r.needs_admissibility),
                From(S.ADMISSIBLE, when=lambda r: r.may_skip_positioning and r.needs_admissibility),
            ),
            targets=(S.EVALUATION,),
            by=Party.CPNE,
            service="candidates.services.dossier_start_evaluation",
        ),
        # An action of the evaluations room, kept in the table so that every action the
        # dossier page offers comes from here: it moves no status and is withheld while an
        # evaluation of the state's kind is under way.
        Transition(
            name="assign_evaluation",
            sources=tuple(From(s.status) for s in STATES.values() if s.evaluation_kind),
            targets=(),
            by=Party.CPNE,
            service="evaluations.services.evaluation_create",
            unless=_evaluation_in_progress,
        ),
        Transition(
            name="mark_ready_for_jury",
            sources=(From(S.EVALUATION),),
            targets=(S.READY_FOR_JURY,),
            by=Party.EVALUATOR,
            service="candidates.services.dossier_mark_ready_for_jury",
            system=True,
            # When the last sheet of the final evaluation is submitted.
            driven_by="evaluations.services.sheet_submit",
        ),
        Transition(
            name="schedule",
            sources=(From(S.READY_FOR_JURY),),
            targets=(S.SCHEDULED,),
            by=Party.CPNE,
            service="candidates.services.dossier_schedule",
            system=True,
            # From a jury session's page.
            driven_by="evaluations.services.jury_session_add_dossier",
            todo="to_schedule",
        ),
        Transition(
            name="unschedule",
            sources=(From(S.SCHEDULED),),
            targets=(S.READY_FOR_JURY,),
            by=Party.CPNE,
            service="candidates.services.dossier_unschedule",
            # For the session's agenda, which has no way yet to drop a dossier.
            system=True,
        ),
        Transition(
            name="record_outcome",
            sources=(From(S.SCHEDULED),),
            targets=(S.AWARDED, S.PARTIALLY_AWARDED, S.REFUSED),
            # The jury votes (vote_cast, show_of_hands_record): the proposal adopted by the
            # majority becomes the decision.
            by=Party.JURY,
            service="candidates.services.dossier_record_outcome",
            system=True,
            driven_by="evaluations.services._decision_create",
        ),
        Transition(
            name="withdraw",
            # A dossier on a jury's agenda is taken off the agenda first.
            sources=tuple(
                From(s.status)
                for s in STATES.values()
                if not s.terminal and s.status != S.SCHEDULED
            ),
            targets=(S.WITHDRAWN,),
            by=Party.CPNE,
            service="candidates.services.dossier_withdraw",
        ),
    )
}


def transition(name: str) -> Transition:
    return TRANSITIONS[name]


def allowed_from(name: str, route_value: str) -> frozenset[str]:
    """The states from which transition `name` may start for a dossier on this route."""
    return TRANSITIONS[name].allowed_from(ROUTES[route_value])


def starting_points(name: str) -> dict[str, frozenset[str]]:
    """Each state transition `name` may start from, with the routes for which it may."""
    found: dict[str, set[str]] = {}
    for value, traits in ROUTES.items():
        for status in TRANSITIONS[name].allowed_from(traits):
            found.setdefault(status, set()).add(value)
    return {status: frozenset(routes) for status, routes in found.items()}


# --- Readers ------------------------------------------------------------------------------


def parties_of(user: Any, dossier: Dossier) -> frozenset[Party]:
    """The parties in which `user` may act on the dossier page. The evaluators, référents and
    jury members act in the evaluations room (grids, sessions), never here."""
    if roles_of(user).is_staff_of(dossier.branch_id):
        return frozenset({Party.CPNE})
    return frozenset()


def actions(*, status: str, route_value: str, parties: Iterable[Party]) -> frozenset[str]:
    """The names of the actions the table lets `parties` take on the dossier page, from
    `status` on this route."""
    parties = frozenset(parties)
    traits = ROUTES[route_value]
    return frozenset(
        t.name
        for t in TRANSITIONS.values()
        if t.on_page and t.by in parties and status in t.allowed_from(traits)
    )


def dossier_actions(*, dossier: Dossier, user: Any) -> frozenset[str]:
    """The actions the dossier page offers `user`: the table's, less those a fact of the
    dossier withholds. The services stay the judges."""
    allowed = actions(
        status=dossier.status,
        route_value=dossier.access_route,
        parties=parties_of(user, dossier),
    )
    offered = set()
    for name in allowed:
        unless = TRANSITIONS[name].unless
        if unless is None or not unless(dossier):
            offered.add(name)
    return frozenset(offered)


def next_step(*, status: str, route_value: str) -> str:
    """The candidate's "what comes next" for a dossier in `status` on this route."""
    current = STATES[status]
    if current.next_step_before_admissibility is not None and status in allowed_from(
        "admissibility", route_value
    ):
        return str(current.next_step_before_admissibility)
    return str(current.next_step)


def steps_elsewhere(*, dossier: Dossier, user: Any) -> frozenset[str]:
    """The CPNE's next steps that another room's page drives (e.g. "schedule", from a jury
    session's agenda): the dossier page points there rather than offering a dead end."""
    if Party.CPNE not in parties_of(user, dossier):
        return frozenset()
    traits = ROUTES[dossier.access_route]
    return frozenset(
        t.name
        for t in TRANSITIONS.values()
        if t.system and t.by is Party.CPNE and t.todo and dossier.status in t.allowed_from(traits)
    )


def staff_todo() -> list[Transition]:
    """The steps the CPNE's dashboard counts the waiting dossiers of."""
    return [t for t in TRANSITIONS.values() if t.by is Party.CPNE and t.todo]


def evaluation_kind(status: str) -> str:
    """The kind of evaluation a dossier in `status` may be assigned ("" for none)."""
    return STATES[status].evaluation_kind if status in STATES else ""
