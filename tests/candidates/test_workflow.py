"""The workflow table: consistent on its own, and the one truth of the services, the dossier page,
the candidate's next step and the dashboard, for every state, access route and role."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from branches.models import College
from candidates import dashboard, selectors, workflow
from candidates import services as dossier_services
from candidates.models import AccessRoute, Dossier, DossierStatus
from core.errors import DomainError, InvalidTransition
from evaluations import services as evaluation_services
from evaluations.models import (
    AgendaItem,
    Evaluation,
    EvaluationKind,
    EvaluationSheet,
    EvaluationStatus,
    JuryMember,
    JurySession,
    SheetRole,
    SheetStatus,
)
from tests.factories import grant
from tests.workflow import open_dossier

pytestmark = pytest.mark.django_db

S = DossierStatus
R = AccessRoute
ALL_STATES = list(S.values)
ALL_ROUTES = list(R.values)

# The cast's people, and the parties the table knows them as on a dossier of branch A.
ROLES: dict[str, frozenset[workflow.Party]] = {
    "staff_a": frozenset({workflow.Party.CPNE}),  # CPNE staff of the dossier's branch
    "staff_b": frozenset(),  # CPNE staff of another branch
    "admin": frozenset({workflow.Party.CPNE}),  # national administrator
    "evaluator": frozenset(),
    "referent_a": frozenset(),
    "jury_employer": frozenset(),
    "candidate_user": frozenset(),
}

# What the dossier page shows for each action: the address its form posts to, or links to.
PAGE_MARKERS: dict[str, tuple[str, str]] = {
    "admissibility": ('action="{}"', "candidates:dossier_admissibility"),
    "start_positioning": ('action="{}"', "candidates:dossier_start_positioning"),
    "start_evaluation": ('action="{}"', "candidates:dossier_start_evaluation"),
    "withdraw": ('action="{}"', "candidates:dossier_withdraw"),
    "assign_evaluation": ('href="{}"', "evaluations:evaluation_assign"),
}


def set_status(dossier: Dossier, status: str) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    dossier.status = status


def shown_actions(content: str, dossier: Dossier) -> set[str]:
    return {
        name
        for name, (pattern, url_name) in PAGE_MARKERS.items()
        if pattern.format(reverse(url_name, args=[dossier.pk])) in content
    }


def resolve(dotted: str) -> Callable[..., Any]:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


# --- The table on its own ---------------------------------------------------------------------


def test_the_table_knows_every_status_and_every_access_route() -> None:
    assert set(workflow.STATES) == set(ALL_STATES)
    assert set(workflow.ROUTES) == set(ALL_ROUTES)
    for step in workflow.TRANSITIONS.values():
        assert {source.status for source in step.sources} <= set(ALL_STATES), step.name
        assert set(step.targets) <= set(ALL_STATES), step.name


def reachable(route_value: str) -> set[str]:
    traits = workflow.route(route_value)
    seen, frontier = {S.OPEN.value}, [S.OPEN.value]
    while frontier:
        status = frontier.pop()
        for step in workflow.TRANSITIONS.values():
            if status in step.allowed_from(traits):
                for target in set(step.targets) - seen:
                    seen.add(target)
                    frontier.append(target)
    return seen


def test_every_state_is_reachable_from_an_open_dossier() -> None:
    assert set().union(*(reachable(route) for route in ALL_ROUTES)) == set(ALL_STATES)


@pytest.mark.parametrize("route_value", ALL_ROUTES)
def test_every_route_may_lead_to_each_outcome_and_only_vae_through_recevabilite(
    route_value: str,
) -> None:
    states = reachable(route_value)
    assert {S.AWARDED, S.PARTIALLY_AWARDED, S.REFUSED, S.WITHDRAWN} <= states
    vae = route_value == R.VAE
    assert (S.ADMISSIBLE in states) is vae
    assert (S.INADMISSIBLE in states) is vae


def test_the_states_that_end_the_path_are_the_domains_and_have_no_way_out() -> None:
    assert {
        S.INADMISSIBLE,
        S.AWARDED,
        S.PARTIALLY_AWARDED,
        S.REFUSED,
        S.WITHDRAWN,
    } == workflow.TERMINAL_STATUSES
    for route_value in ALL_ROUTES:
        traits = workflow.route(route_value)
        for step in workflow.TRANSITIONS.values():
            assert not step.allowed_from(traits) & workflow.TERMINAL_STATUSES, step.name


@pytest.mark.parametrize("route_value", ALL_ROUTES)
def test_every_state_a_route_reaches_and_that_goes_on_has_a_way_out(route_value: str) -> None:
    traits = workflow.route(route_value)
    for status in reachable(route_value) - workflow.TERMINAL_STATUSES:
        assert any(
            status in step.allowed_from(traits) and step.targets
            for step in workflow.TRANSITIONS.values()
        ), status


def test_every_transition_names_a_service_that_exists_and_takes_the_dossier() -> None:
    for step in workflow.TRANSITIONS.values():
        service = resolve(step.service)
        parameters = inspect.signature(service).parameters
        assert parameters["dossier"].kind is inspect.Parameter.KEYWORD_ONLY, step.name
        assert parameters["by"].kind is inspect.Parameter.KEYWORD_ONLY, step.name


def test_a_system_transition_is_called_by_the_service_the_table_names() -> None:
    for step in workflow.TRANSITIONS.values():
        if step.driven_by:
            assert step.system, step.name
            driver = resolve(step.driven_by)
            assert step.service.rpartition(".")[2] in inspect.getsource(driver), step.name


def test_the_dossier_page_offers_only_steps_of_the_cpne() -> None:
    assert {step.name for step in workflow.TRANSITIONS.values() if step.on_page} == set(
        PAGE_MARKERS
    )
    for step in workflow.TRANSITIONS.values():
        if step.on_page:
            assert step.by is workflow.Party.CPNE, step.name


def test_the_route_traits_the_domain_needs() -> None:
    vae, direct = workflow.route(R.VAE), workflow.route(R.DIRECT)
    assert vae.needs_admissibility and vae.may_skip_positioning
    assert direct.may_skip_positioning and not direct.needs_admissibility
    for route_value in (R.CONTINUING, R.PROFESSIONALISATION, R.PRO_A):
        # Training is planned by the positionnement: it cannot be skipped.
        assert not workflow.route(route_value).may_skip_positioning, route_value
    work_study = {value for value, traits in workflow.ROUTES.items() if traits.work_study}
    assert work_study == {R.PROFESSIONALISATION, R.PRO_A}
    assert workflow.route(R.PROFESSIONALISATION).ages == (16, 25)


# --- What the CPNE may do, state by state: the domain's rule, written out ---------------------

WITHDRAW = {"withdraw"}
EXPECTED_STAFF_ACTIONS: dict[tuple[str, str], set[str]] = {
    (S.OPEN, R.VAE): {"admissibility"} | WITHDRAW,
    (S.OPEN, R.DIRECT): {"start_positioning", "start_evaluation"} | WITHDRAW,
    (S.OPEN, R.CONTINUING): {"start_positioning"} | WITHDRAW,
    (S.OPEN, R.PROFESSIONALISATION): {"start_positioning"} | WITHDRAW,
    (S.OPEN, R.PRO_A): {"start_positioning"} | WITHDRAW,
    (S.ADMISSIBLE, R.VAE): {"start_positioning", "start_evaluation"} | WITHDRAW,
}


def expected_staff_actions(status: str, route_value: str) -> set[str]:
    if (status, route_value) in EXPECTED_STAFF_ACTIONS:
        return EXPECTED_STAFF_ACTIONS[(status, route_value)]
    by_status: dict[str, set[str]] = {
        # A non-VAE dossier is never recevable: only its way out is offered.
        S.ADMISSIBLE: WITHDRAW,
        S.POSITIONING: {"start_evaluation", "assign_evaluation"} | WITHDRAW,
        S.EVALUATION: {"assign_evaluation"} | WITHDRAW,
        S.READY_FOR_JURY: WITHDRAW,
    }
    return by_status.get(status, set())


@pytest.mark.parametrize("route_value", ALL_ROUTES)
@pytest.mark.parametrize("status", ALL_STATES)
def test_the_table_gives_the_cpne_the_domains_actions(status: str, route_value: str) -> None:
    allowed = workflow.actions(
        status=status, route_value=route_value, parties={workflow.Party.CPNE}
    )
    assert allowed == expected_staff_actions(status, route_value)


# --- The dossier page shows exactly the table's actions -----------------------------------------


def seen_by_everyone(cast: Any, dossier: Dossier) -> None:
    """Let the evaluator, the référent and the jury member see the dossier, as their work on
    it would (a sheet and its grant each, a session's agenda and the seat's grant), with no
    evaluation under way; the candidate sees it as theirs."""
    evaluation = Evaluation.objects.create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        status=EvaluationStatus.SUBMITTED,
        created_by=cast.staff_a,
    )
    for person, role in (
        (cast.evaluator, SheetRole.EXTERNAL),
        (cast.referent_a, SheetRole.REFERENT),
    ):
        EvaluationSheet.objects.create(
            evaluation=evaluation, evaluator=person, role=role, status=SheetStatus.SUBMITTED
        )
        grant(person, evaluation)
    session = JurySession.objects.create(
        branch=cast.branch_a, held_on=timezone.now(), place="Paris", created_by=cast.staff_a
    )
    JuryMember.objects.create(session=session, user=cast.jury_employer, college=College.EMPLOYERS)
    grant(cast.jury_employer, session)
    AgendaItem.objects.create(session=session, dossier=dossier, position=1)


@pytest.mark.parametrize("route_value", ALL_ROUTES)
def test_the_page_shows_exactly_the_tables_actions_for_every_state_and_role(
    client: Any, cast: Any, route_value: str
) -> None:
    dossier = open_dossier(cast, route=route_value)
    seen_by_everyone(cast, dossier)
    url = reverse("candidates:dossier_detail", args=[dossier.pk])
    for status in ALL_STATES:
        set_status(dossier, status)
        for role, parties in ROLES.items():
            user = getattr(cast, role)
            client.force_login(user)
            response = client.get(url)
            expected = workflow.actions(status=status, route_value=route_value, parties=parties)
            where = (status, role)
            # Whoever sees the dossier without running it is refused the page; another
            # branch's staff does not see it.
            assert response.status_code == (200 if parties else 404 if role == "staff_b" else 403)
            shown = shown_actions(response.content.decode(), dossier) if parties else set()
            assert shown == expected, where
            assert workflow.dossier_actions(dossier=dossier, user=user) == expected, where


@pytest.mark.parametrize(
    ("status", "kind", "other_kind"),
    [
        (S.POSITIONING, EvaluationKind.POSITIONING, EvaluationKind.FINAL),
        (S.EVALUATION, EvaluationKind.FINAL, EvaluationKind.POSITIONING),
    ],
)
def test_assigning_is_withheld_only_while_an_evaluation_of_the_states_kind_is_under_way(
    client: Any, cast: Any, status: str, kind: str, other_kind: str
) -> None:
    dossier = open_dossier(cast)
    set_status(dossier, status)
    url = reverse("candidates:dossier_detail", args=[dossier.pk])
    client.force_login(cast.staff_a)
    Evaluation.objects.create(dossier=dossier, kind=other_kind, created_by=cast.staff_a)
    assert "assign_evaluation" in shown_actions(client.get(url).content.decode(), dossier)
    same = Evaluation.objects.create(dossier=dossier, kind=kind, created_by=cast.staff_a)
    assert "assign_evaluation" not in shown_actions(client.get(url).content.decode(), dossier)
    Evaluation.objects.filter(pk=same.pk).update(status=EvaluationStatus.SUBMITTED)
    assert "assign_evaluation" in shown_actions(client.get(url).content.decode(), dossier)


# --- The services accept exactly what the table allows ------------------------------------------


def service_calls(cast: Any, status: str) -> dict[str, Callable[[Dossier], Any]]:
    """One call per transition, as the table's CPNE (the system ones as their driver would)."""
    staff = cast.staff_a
    return {
        "admissibility": lambda d: dossier_services.dossier_rule_admissibility(
            dossier=d, admissible=True, by=staff
        ),
        "start_positioning": lambda d: dossier_services.dossier_start_positioning(
            dossier=d, by=staff
        ),
        "start_evaluation": lambda d: dossier_services.dossier_start_evaluation(
            dossier=d, by=staff
        ),
        "assign_evaluation": lambda d: evaluation_services.evaluation_create(
            dossier=d,
            kind=workflow.evaluation_kind(status) or EvaluationKind.FINAL,
            external_evaluator=cast.evaluator,
            by=staff,
        ),
        "mark_ready_for_jury": lambda d: dossier_services.dossier_mark_ready_for_jury(
            dossier=d, by=staff
        ),
        "schedule": lambda d: dossier_services.dossier_schedule(dossier=d, by=staff),
        "unschedule": lambda d: dossier_services.dossier_unschedule(dossier=d, by=staff),
        "record_outcome": lambda d: dossier_services.dossier_record_outcome(
            dossier=d, status=S.AWARDED, by=staff
        ),
        "withdraw": lambda d: dossier_services.dossier_withdraw(
            dossier=d, by=staff, comment="Motif"
        ),
    }


@pytest.mark.parametrize("route_value", ALL_ROUTES)
def test_the_services_accept_exactly_the_tables_transitions(cast: Any, route_value: str) -> None:
    dossier = open_dossier(cast, route=route_value)
    traits = workflow.route(route_value)
    for status in ALL_STATES:
        calls = service_calls(cast, status)
        assert set(calls) == set(workflow.TRANSITIONS)
        for name, call in calls.items():
            set_status(dossier, status)
            step = workflow.transition(name)
            where = (status, name)
            if status in step.allowed_from(traits):
                call(dossier)
                moved = Dossier.objects.get(pk=dossier.pk).status
                assert moved in (step.targets or (status,)), where
            else:
                # A route the step is closed to is refused as such (recevabilité is VAE's).
                refusal = InvalidTransition if step.allowed_from(traits) else DomainError
                with pytest.raises(refusal):
                    call(dossier)
                assert Dossier.objects.get(pk=dossier.pk).status == status, where


@pytest.mark.parametrize(
    ("status", "wrong_kind"),
    [(S.POSITIONING, EvaluationKind.FINAL), (S.EVALUATION, EvaluationKind.POSITIONING)],
)
def test_an_evaluation_is_assigned_only_of_the_kind_its_state_calls_for(
    cast: Any, status: str, wrong_kind: str
) -> None:
    dossier = open_dossier(cast)
    set_status(dossier, status)
    with pytest.raises(InvalidTransition):
        evaluation_services.evaluation_create(
            dossier=dossier, kind=wrong_kind, external_evaluator=cast.evaluator, by=cast.staff_a
        )
    assert not dossier.evaluations.exists()


def test_a_wrong_starting_state_keeps_its_message(cast: Any) -> None:
    dossier = open_dossier(cast)
    set_status(dossier, S.EVALUATION)
    with pytest.raises(InvalidTransition) as info:
        dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    assert info.value.message == (
        f"Le dossier {dossier.reference} est « Évaluation » : passage à « Positionnement » impossible."
    )


@pytest.mark.parametrize("role", [role for role, parties in ROLES.items() if not parties])
def test_the_page_steps_are_refused_to_whoever_the_table_does_not_name(
    cast: Any, role: str
) -> None:
    user = getattr(cast, role)
    for route_value in ALL_ROUTES:
        dossier = open_dossier(cast, route=route_value)
        for name, call in (
            ("admissibility", dossier_services.dossier_rule_admissibility),
            ("start_positioning", dossier_services.dossier_start_positioning),
            ("start_evaluation", dossier_services.dossier_start_evaluation),
            ("withdraw", dossier_services.dossier_withdraw),
        ):
            start = min(workflow.allowed_from(name, route_value), default=None)
            if start is None:
                continue
            set_status(dossier, start)
            extra = {"admissible": True} if name == "admissibility" else {}
            with pytest.raises(PermissionDenied):
                call(dossier=dossier, by=user, comment="Motif", **extra)
            assert Dossier.objects.get(pk=dossier.pk).status == start, (route_value, name)


# --- The candidate's next step and the dashboard read the table ---------------------------------


@pytest.mark.parametrize("route_value", ALL_ROUTES)
def test_the_next_step_is_the_tables_sentence_for_every_state(cast: Any, route_value: str) -> None:
    dossier = open_dossier(cast, route=route_value)
    for status in ALL_STATES:
        set_status(dossier, status)
        sentence = selectors.next_step(dossier=dossier)
        assert sentence, status
        assert sentence == workflow.next_step(status=status, route_value=route_value)
    set_status(dossier, S.OPEN)
    recevabilite = "Votre branche examine la recevabilité" in selectors.next_step(dossier=dossier)
    assert recevabilite is (route_value == R.VAE)


def test_the_dashboard_counts_each_dossier_under_the_cpne_steps_the_table_allows(
    cast: Any,
) -> None:
    dossiers = {route_value: open_dossier(cast, route=route_value) for route_value in ALL_ROUTES}
    todo = {step.todo: step.name for step in workflow.staff_todo()}
    assert set(todo) == {"admissibility", "positioning", "to_schedule"}
    for status in ALL_STATES:
        for route_value, dossier in dossiers.items():
            Dossier.objects.filter(pk__in=[d.pk for d in dossiers.values()]).update(
                status=S.WITHDRAWN
            )
            set_status(dossier, status)
            waiting = dashboard.waiting_on_staff(cast.branch_a)
            expected = {
                key: int(status in workflow.allowed_from(name, route_value))
                for key, name in todo.items()
            }
            assert {key: waiting[key] for key in todo} == expected, (status, route_value)


@pytest.mark.parametrize("status", ALL_STATES)
def test_a_dossier_ready_for_jury_points_its_staff_to_the_sessions(
    client: Any, cast: Any, status: str
) -> None:
    dossier = open_dossier(cast)
    set_status(dossier, status)
    assert (workflow.steps_elsewhere(dossier=dossier, user=cast.staff_a) == {"schedule"}) is (
        status == S.READY_FOR_JURY
    )
    assert not workflow.steps_elsewhere(dossier=dossier, user=cast.evaluator)
    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()
    link = f'href="{reverse("evaluations:session_list")}"'
    assert ("Inscrire à une session de jury" in page and link in page) is (
        status == S.READY_FOR_JURY
    )
