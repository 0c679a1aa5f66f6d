"""Evaluators' grids, assigning evaluations and the jury pages, through the test client."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from branches.models import College, Membership, Role
from candidates import services as dossier_services
from candidates.models import Dossier, DossierStatus, EvidenceFile
from certifications.models import Capacity, Certificate
from evaluations import services
from evaluations.models import (
    CapacityOutcome,
    CapacityResult,
    Decision,
    Evaluation,
    EvaluationKind,
    EvaluationSheet,
    JuryMember,
    JurySession,
    MemberRole,
    Outcome,
    Proposal,
    ProposalStatus,
    SessionStatus,
    SheetRole,
    SheetStatus,
)
from tests import workflow
from tests.factories import CandidateFactory, DossierFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def assert_redirects_to_login(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def in_evaluation(cast: Any, **kwargs: Any) -> Dossier:
    dossier = workflow.open_dossier(cast, **kwargs)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def assigned(cast: Any, *, binome: bool = False) -> Evaluation:
    return services.evaluation_create(
        dossier=in_evaluation(cast),
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a if binome else None,
        by=cast.staff_a,
    )


def sheet_data(
    sheet: EvaluationSheet,
    *,
    outcome: str = CapacityOutcome.ACQUIRED,
    version: int | None = None,
    comment: str = "Observé au poste",
    overrides: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {"version": sheet.version if version is None else version}
    capacities = Capacity.objects.filter(bloc__version_id=sheet.evaluation.dossier.version_id)
    for capacity in capacities.prefetch_related("indicators"):
        data[f"c{capacity.pk}_outcome"] = outcome
        data[f"c{capacity.pk}_comment"] = comment
        for indicator in capacity.indicators.all():
            data[f"i{indicator.pk}"] = 4
    data.update(overrides or {})
    data.update(extra)
    return data


def first_capacity(dossier: Dossier) -> Capacity:
    return Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by(
        "bloc__order", "order"
    )[0]


# --- Assigning an evaluation ----------------------------------------------------------


def assign_data(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": EvaluationKind.FINAL,
        "external_evaluator": cast.evaluator.pk,
        "referent": "",
        "due_date": "2031-03-15",
    }
    data.update(overrides)
    return data


def test_assigning_sends_anonymous_visitors_to_login(client: Any, cast: Any) -> None:
    dossier = in_evaluation(cast)

    url = reverse("evaluations:evaluation_assign", args=[dossier.pk])

    assert_redirects_to_login(client.get(url))


def test_assigning_is_not_found_for_staff_of_another_branch(client: Any, cast: Any) -> None:
    dossier = in_evaluation(cast)
    client.force_login(cast.staff_b)
    url = reverse("evaluations:evaluation_assign", args=[dossier.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, assign_data(cast)).status_code == 404
    assert not Evaluation.objects.exists()


def test_assigning_is_forbidden_to_the_candidate(client: Any, cast: Any) -> None:
    dossier = in_evaluation(cast)
    client.force_login(cast.candidate_user)
    url = reverse("evaluations:evaluation_assign", args=[dossier.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, assign_data(cast)).status_code == 403
    assert not Evaluation.objects.exists()


def test_staff_assign_a_final_evaluation_to_a_habilitated_evaluator(client: Any, cast: Any) -> None:
    dossier = in_evaluation(cast)
    client.force_login(cast.staff_a)
    url = reverse("evaluations:evaluation_assign", args=[dossier.pk])
    assert cast.evaluator.email in client.get(url).content.decode()

    response = client.post(url, assign_data(cast, referent=cast.referent_a.pk))

    assert response.status_code == 302
    evaluation = Evaluation.objects.get(dossier=dossier)
    assert evaluation.due_date == datetime.date(2031, 3, 15)
    assert set(evaluation.sheets.values_list("evaluator_id", "role")) == {
        (cast.evaluator.pk, SheetRole.EXTERNAL),
        (cast.referent_a.pk, SheetRole.REFERENT),
    }


@pytest.mark.parametrize("field", ["external_evaluator", "referent"])
def test_a_person_outside_the_eligible_choices_is_a_form_error(
    client: Any, cast: Any, field: str
) -> None:
    dossier = in_evaluation(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:evaluation_assign", args=[dossier.pk]),
        assign_data(cast, **{field: cast.outsider.pk}),
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Evaluation.objects.exists()


def test_a_refused_assignment_shows_the_reason_and_keeps_the_input(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)  # not yet in evaluation
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:evaluation_assign", args=[dossier.pk]), assign_data(cast)
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "ne peut être confiée" in content
    assert 'value="2031-03-15"' in content
    assert not Evaluation.objects.exists()


# --- My sheets ---------------------------------------------------------------------


def test_my_sheets_send_anonymous_visitors_to_login(client: Any) -> None:
    assert_redirects_to_login(client.get(reverse("evaluations:sheet_list")))


@pytest.mark.parametrize("person", ["staff_a", "candidate_user", "jury_employer"])
def test_my_sheets_are_refused_to_people_who_do_not_evaluate(
    client: Any, cast: Any, person: str
) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(reverse("evaluations:sheet_list")).status_code == 403


def test_my_sheets_stay_readable_after_the_referent_role_ends(client: Any, cast: Any) -> None:
    assigned(cast, binome=True)
    Membership.objects.filter(user=cast.referent_a).update(is_active=False)
    client.force_login(cast.referent_a)

    response = client.get(reverse("evaluations:sheet_list"))

    assert response.status_code == 200
    assert [s.evaluator_id for s in response.context["sheets"]] == [cast.referent_a.pk]


def test_my_sheets_list_the_evaluator_sheets_only(client: Any, cast: Any) -> None:
    evaluation = assigned(cast, binome=True)
    client.force_login(cast.referent_a)

    response = client.get(reverse("evaluations:sheet_list"))

    sheets = list(response.context["sheets"])
    assert [s.evaluator_id for s in sheets] == [cast.referent_a.pk]
    assert evaluation.dossier.reference in response.content.decode()


def make_sheets(cast: Any, n: int) -> None:
    for _ in range(n):
        dossier: Dossier = DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a),
            version=cast.version,
            status=DossierStatus.EVALUATION,
        )
        evaluation = Evaluation.objects.create(
            dossier=dossier, kind=EvaluationKind.FINAL, created_by=cast.staff_a
        )
        EvaluationSheet.objects.create(
            evaluation=evaluation, evaluator=cast.evaluator, role=SheetRole.EXTERNAL
        )
        grant(cast.evaluator, evaluation)


def test_my_sheets_cost_the_same_queries_for_3_and_for_30_sheets(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast.evaluator)
    url = reverse("evaluations:sheet_list")
    make_sheets(cast, 3)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.content.decode().count('class="nowrap"') == 3

    make_sheets(cast, 27)
    with django_assert_num_queries(len(three)):
        response = client.get(url)

    assert response.content.decode().count('class="nowrap"') == 30


# --- One sheet -------------------------------------------------------------------------


def test_a_sheet_sends_anonymous_visitors_to_login(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()

    assert_redirects_to_login(client.get(reverse("evaluations:sheet", args=[sheet.pk])))


@pytest.mark.parametrize("person", ["staff_b", "staff_a", "referent_a", "candidate_user"])
def test_a_sheet_is_not_found_for_anyone_but_its_evaluator(
    client: Any, cast: Any, person: str
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(getattr(cast, person))
    url = reverse("evaluations:sheet", args=[sheet.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, sheet_data(sheet)).status_code == 404
    assert not CapacityResult.objects.exists()


def test_the_evaluator_sees_the_grid_with_thresholds_and_what_is_left(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    response = client.get(reverse("evaluations:sheet", args=[sheet.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Bloc 1" in content and "Capacité 2.2" in content and "Indicateur 1.1.1" in content
    assert "3 / 4" in content
    assert response.context["left"] == 4
    assert f'name="version" value="{sheet.version}"' in content


def test_saving_records_results_and_moves_the_version_on(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    response = client.post(reverse("evaluations:sheet", args=[sheet.pk]), sheet_data(sheet))

    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.version == 1
    assert sheet.status == SheetStatus.DRAFT
    assert set(sheet.results.values_list("outcome", flat=True)) == {CapacityOutcome.ACQUIRED}
    assert client.get(reverse("evaluations:sheet", args=[sheet.pk])).context["left"] == 0


def test_a_second_save_with_the_same_version_is_refused_and_overwrites_nothing(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)
    url = reverse("evaluations:sheet", args=[sheet.pk])
    client.post(url, sheet_data(sheet, version=0, comment="Premier onglet"))

    response = client.post(
        url,
        sheet_data(sheet, version=0, outcome=CapacityOutcome.NOT_ACQUIRED, comment="Second onglet"),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "modifiée ailleurs" in content
    assert "Second onglet" in content  # the user's input stays in the page
    assert set(CapacityResult.objects.values_list("outcome", "comment")) == {
        (CapacityOutcome.ACQUIRED, "Premier onglet")
    }
    sheet.refresh_from_db()
    assert sheet.version == 1


def test_a_mark_above_the_scale_is_a_form_error_that_keeps_the_input(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    indicator = first_capacity(sheet.evaluation.dossier).indicators.all()[0]
    client.force_login(cast.evaluator)

    response = client.post(
        reverse("evaluations:sheet", args=[sheet.pk]),
        sheet_data(sheet, comment="Ma saisie", overrides={f"i{indicator.pk}": 9}),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors[f"i{indicator.pk}"]
    assert 'value="9"' in content and "Ma saisie" in content
    assert not CapacityResult.objects.exists()


def test_submitting_needs_the_confirmation(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    response = client.post(
        reverse("evaluations:sheet", args=[sheet.pk]), sheet_data(sheet, action="submit")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["confirm"]
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT


def test_an_incomplete_grid_is_saved_but_not_submitted(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    response = client.post(
        reverse("evaluations:sheet", args=[sheet.pk]),
        sheet_data(sheet, outcome=CapacityOutcome.NOT_ASSESSED, action="submit", confirm="on"),
        follow=True,
    )

    assert "capacité(s) à évaluer" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT
    assert sheet.version == 1


def test_a_submitted_grid_is_read_only_and_the_dossier_ready_for_jury(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)
    url = reverse("evaluations:sheet", args=[sheet.pk])

    client.post(url, sheet_data(sheet, action="submit", confirm="on"))

    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED
    assert sheet.evaluation.dossier.status == DossierStatus.READY_FOR_JURY
    content = client.get(url).content.decode()
    assert 'type="number"' not in content and 'name="action"' not in content
    response = client.post(url, sheet_data(sheet, outcome=CapacityOutcome.NOT_ACQUIRED))
    assert "plus modifiable" in response.content.decode()
    assert not CapacityResult.objects.filter(outcome=CapacityOutcome.NOT_ACQUIRED).exists()


def test_divergences_of_a_binome_are_shown_once_both_halves_submitted(
    client: Any, cast: Any
) -> None:
    evaluation = assigned(cast, binome=True)
    external = evaluation.sheets.get(role=SheetRole.EXTERNAL)
    referent = evaluation.sheets.get(role=SheetRole.REFERENT)
    client.force_login(cast.evaluator)
    client.post(
        reverse("evaluations:sheet", args=[external.pk]),
        sheet_data(external, action="submit", confirm="on"),
    )
    first = first_capacity(evaluation.dossier)
    client.force_login(cast.referent_a)
    client.post(
        reverse("evaluations:sheet", args=[referent.pk]),
        sheet_data(
            referent,
            action="submit",
            confirm="on",
            overrides={f"c{first.pk}_outcome": CapacityOutcome.NOT_ACQUIRED},
        ),
    )

    response = client.get(reverse("evaluations:sheet", args=[referent.pk]))

    assert response.context["divergent_count"] == 1
    content = response.content.decode()
    assert f'class="capacity capacity--divergent" id="capacite-{first.pk}"' in content
    assert content.count("capacity--divergent") == 1


# --- Jury sessions -------------------------------------------------------------------


def planned_session(cast: Any) -> JurySession:
    return services.jury_session_create(
        branch=cast.branch_a,
        held_on=timezone.now() + datetime.timedelta(days=7),
        place="Lyon, salle 2",
        by=cast.staff_a,
    )


def test_sessions_send_anonymous_visitors_to_login(client: Any) -> None:
    assert_redirects_to_login(client.get(reverse("evaluations:session_list")))
    assert_redirects_to_login(client.get(reverse("evaluations:session_create")))


@pytest.mark.parametrize("person", ["candidate_user", "evaluator", "outsider"])
def test_the_session_list_is_refused_to_people_outside_juries(
    client: Any, cast: Any, person: str
) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(reverse("evaluations:session_list")).status_code == 403


def test_the_session_list_shows_nothing_of_other_branches(client: Any, cast: Any) -> None:
    planned_session(cast)
    client.force_login(cast.staff_b)

    response = client.get(reverse("evaluations:session_list"))

    assert response.status_code == 200
    assert list(response.context["sessions"]) == []


def test_staff_and_convoked_members_see_the_session_in_their_list(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)

    for person in (cast.staff_a, cast.jury_employer):
        client.force_login(person)
        assert list(client.get(reverse("evaluations:session_list")).context["sessions"]) == [
            session
        ]
    client.force_login(cast.jury_employee)  # of the branch, not convoked
    assert list(client.get(reverse("evaluations:session_list")).context["sessions"]) == []


def test_creating_a_session_is_forbidden_to_jury_members(client: Any, cast: Any) -> None:
    client.force_login(cast.jury_employer)
    url = reverse("evaluations:session_create")

    assert client.get(url).status_code == 403
    assert client.post(url, {"held_on": "2031-05-01T09:30", "place": "Ici"}).status_code == 403
    assert not JurySession.objects.exists()


def test_staff_create_a_session(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_create"),
        {"branch": cast.branch_a.pk, "held_on": "2031-05-01T09:30", "place": "Lyon"},
    )

    session = JurySession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:session_detail", args=[session.pk])
    assert session.branch == cast.branch_a
    assert timezone.localtime(session.held_on).strftime("%Y-%m-%d %H:%M") == "2031-05-01 09:30"


def test_a_session_without_a_place_is_a_form_error_that_keeps_the_date(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_create"),
        {"branch": cast.branch_a.pk, "held_on": "2031-05-01T09:30", "place": ""},
    )

    assert response.status_code == 200
    assert 'value="2031-05-01T09:30"' in response.content.decode()
    assert not JurySession.objects.exists()


def test_staff_of_another_branch_cannot_create_a_session_for_this_one(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_b)

    response = client.post(
        reverse("evaluations:session_create"),
        {"branch": cast.branch_a.pk, "held_on": "2031-05-01T09:30", "place": "Lyon"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["branch"]
    assert not JurySession.objects.exists()


SESSION_URLS = [
    ("evaluations:session_detail", "get"),
    ("evaluations:session_convoke", "post"),
    ("evaluations:session_add_dossier", "post"),
    ("evaluations:session_open", "post"),
    ("evaluations:session_close", "post"),
    ("evaluations:session_minutes", "get"),
]


@pytest.mark.parametrize(("name", "method"), SESSION_URLS)
def test_session_pages_send_anonymous_visitors_to_login(
    client: Any, cast: Any, name: str, method: str
) -> None:
    session = planned_session(cast)

    assert_redirects_to_login(getattr(client, method)(reverse(name, args=[session.pk])))


@pytest.mark.parametrize(("name", "method"), SESSION_URLS)
@pytest.mark.parametrize("person", ["staff_b", "candidate_user", "jury_employee"])
def test_session_pages_are_not_found_for_people_who_do_not_see_the_session(
    client: Any, cast: Any, name: str, method: str, person: str
) -> None:
    session = planned_session(cast)
    client.force_login(getattr(cast, person))

    response = getattr(client, method)(reverse(name, args=[session.pk]))

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED


@pytest.mark.parametrize(
    "name",
    [
        "evaluations:session_convoke",
        "evaluations:session_add_dossier",
        "evaluations:session_open",
        "evaluations:session_close",
    ],
)
def test_running_a_session_is_forbidden_to_its_jury_members(
    client: Any, cast: Any, name: str
) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    client.force_login(cast.jury_employer)

    response = client.post(reverse(name, args=[session.pk]), {})

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED
    assert session.members.count() == 1


def test_a_convoked_member_sees_the_session_without_its_management_forms(
    client: Any, cast: Any
) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    client.force_login(cast.jury_employer)

    response = client.get(reverse("evaluations:session_detail", args=[session.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Collège employeurs" in content
    assert reverse("evaluations:session_convoke", args=[session.pk]) not in content
    assert reverse("evaluations:session_open", args=[session.pk]) not in content


def membership(user: Any) -> Membership:
    return Membership.objects.get(user=user, role=Role.JURY)


def test_staff_convoke_a_jury_member_with_a_role(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_convoke", args=[session.pk]),
        {"membership": membership(cast.jury_employee).pk, "role": MemberRole.VICE_CHAIR},
    )

    assert response.status_code == 302
    member = JuryMember.objects.get(session=session)
    assert (member.user, member.college, member.role) == (
        cast.jury_employee,
        College.EMPLOYEES,
        MemberRole.VICE_CHAIR,
    )


def test_a_jury_member_of_another_branch_is_a_form_error(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    foreign: User = UserFactory.create()
    other = Membership.objects.create(
        user=foreign, branch=cast.branch_b, role=Role.JURY, college=College.EMPLOYERS
    )
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_convoke", args=[session.pk]),
        {"membership": other.pk, "role": MemberRole.MEMBER},
    )

    assert response.status_code == 200
    assert response.context["convoke_form"].errors["membership"]
    assert not JuryMember.objects.exists()


def test_a_refused_convocation_shows_the_reason_and_keeps_the_choice(
    client: Any, cast: Any
) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(
        session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
    )
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_convoke", args=[session.pk]),
        {"membership": membership(cast.jury_employee).pk, "role": MemberRole.CHAIR},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "déjà attribuée" in content
    assert f'value="{MemberRole.CHAIR}" selected' in content
    assert session.members.count() == 1


def test_staff_put_a_ready_dossier_on_the_agenda(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    dossier = workflow.ready_for_jury(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_add_dossier", args=[session.pk]), {"dossier": dossier.pk}
    )

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SCHEDULED
    assert session.agenda.get().dossier == dossier


def test_a_dossier_not_ready_for_jury_is_a_form_error(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    dossier = in_evaluation(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("evaluations:session_add_dossier", args=[session.pk]), {"dossier": dossier.pk}
    )

    assert response.status_code == 200
    assert response.context["agenda_form"].errors["dossier"]
    assert not session.agenda.exists()
    # The error links to the list of ready dossiers, where another one can be chosen.
    html = response.content.decode()
    assert '<a href="#ready-title">' in html
    assert 'id="ready-title"' in html


def test_opening_without_quorum_is_refused_with_what_is_missing(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    client.force_login(cast.staff_a)

    response = client.post(reverse("evaluations:session_open", args=[session.pk]), follow=True)

    assert "Collège salariés : 0 membre(s) présent(s)" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED


def test_the_planned_session_page_says_which_college_lacks_members_present(
    client: Any, cast: Any
) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    employee = services.jury_member_convoke(
        session=session, user=cast.jury_employee, by=cast.staff_a
    )
    services.jury_member_set_presence(member=employee, present=False, by=cast.staff_a)
    client.force_login(cast.staff_a)

    html = client.get(reverse("evaluations:session_detail", args=[session.pk])).content.decode()

    assert "Collège salariés : 0 membre(s) présent(s), 1 requis." in html
    assert "Collège employeurs : " not in html  # the employer is present


def test_staff_open_a_session_with_both_colleges(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    for user, role in ((cast.jury_employer, "chair"), (cast.jury_employee, "member")):
        services.jury_member_convoke(session=session, user=user, role=role, by=cast.staff_a)
    client.force_login(cast.staff_a)

    response = client.post(reverse("evaluations:session_open", args=[session.pk]))

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN


def test_closing_with_an_undecided_dossier_is_refused(client: Any, cast: Any) -> None:
    session = workflow.open_session(cast, [workflow.ready_for_jury(cast)])
    client.force_login(cast.staff_a)

    response = client.post(reverse("evaluations:session_close", args=[session.pk]), follow=True)

    assert "attendent encore une décision" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN


def test_the_minutes_are_not_found_until_rendered(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    client.force_login(cast.staff_a)

    assert client.get(reverse("evaluations:session_minutes", args=[session.pk])).status_code == 404


@pytest.mark.parametrize("person", ["staff_a", "jury_employer"])
def test_the_minutes_download_as_an_attachment(client: Any, cast: Any, person: str) -> None:
    session = planned_session(cast)
    services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    session.minutes.save("pv.pdf", ContentFile(b"%PDF-1.7 minutes"), save=True)
    client.force_login(getattr(cast, person))

    response = client.get(reverse("evaluations:session_minutes", args=[session.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.7 minutes"


# --- Recording a decision -------------------------------------------------------------


def decision_url(session: JurySession, dossier: Dossier) -> str:
    return reverse("evaluations:decision_record", args=[session.pk, dossier.pk])


def all_validated(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"c{c.pk}_validated": "on" for c in Capacity.objects.filter(bloc__version=dossier.version)
    }
    data.update(extra)
    return data


@pytest.fixture
def sitting(cast: Any) -> tuple[JurySession, Dossier]:
    dossier = workflow.ready_for_jury(cast)
    return workflow.open_session(cast, [dossier]), dossier


def test_the_decision_page_sends_anonymous_visitors_to_login(client: Any, sitting: Any) -> None:
    assert_redirects_to_login(client.get(decision_url(*sitting)))


@pytest.mark.parametrize("person", ["staff_b", "candidate_user", "evaluator"])
def test_the_decision_page_is_not_found_for_people_who_do_not_see_the_session(
    client: Any, cast: Any, sitting: Any, person: str
) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(decision_url(*sitting)).status_code == 404
    assert (
        client.post(
            decision_url(*sitting), all_validated(sitting[1], outcome=Outcome.AWARD)
        ).status_code
        == 404
    )
    assert not Decision.objects.exists()


def test_an_absent_member_prepares_read_only_and_cannot_decide(
    client: Any, cast: Any, sitting: Any
) -> None:
    """Convoked members read the grids, divergences, comments and evidence to prepare; only
    those present at the roll call decide."""
    session, dossier = sitting
    session.members.filter(user=cast.jury_employee).update(present=False)
    CapacityResult.objects.filter(sheet__evaluation__dossier=dossier).update(
        comment="Gestes sûrs, à confirmer sur le chariot"
    )
    client.force_login(cast.jury_employee)

    response = client.get(decision_url(session, dossier))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Préparation de la session" in content
    assert "Gestes sûrs, à confirmer sur le chariot" in content
    assert "Capacité 1.1" in content and 'type="checkbox"' not in content
    assert (
        client.post(
            decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD)
        ).status_code
        == 403
    )
    assert not Decision.objects.exists()


def test_the_agenda_links_each_dossier_to_its_preparation_for_members(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employee)

    content = client.get(reverse("evaluations:session_detail", args=[session.pk])).content.decode()

    assert f'href="{decision_url(session, dossier)}"' in content


def test_the_preparation_lists_the_evidence_and_costs_the_same_queries_with_more(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employer)
    counts = []
    for n in range(3):
        EvidenceFile.objects.create(
            dossier=dossier,
            file=ContentFile(b"%PDF-1.4 x", name=f"p{n}.pdf"),
            original_name=f"attestation-{n}.pdf",
            content_type="application/pdf",
            size=10,
            uploaded_by=cast.staff_a,
        )
        with CaptureQueriesContext(connection) as queries:
            content = client.get(decision_url(session, dossier)).content.decode()
        counts.append(len(queries))

    assert content.count("attestation-") == 3
    assert counts[0] == counts[2]


def test_the_deliberation_page_asks_for_the_members_seat_once(
    client: Any, cast: Any, sitting: Any
) -> None:
    """What the member may do (vote, put, decide) is answered once per request, not per use."""
    session, dossier = sitting
    client.force_login(cast.jury_employer)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(decision_url(session, dossier))

    seat_lookups = [
        q["sql"]
        for q in queries.captured_queries
        if '"evaluations_jurymember"."present"' in q["sql"].partition(" WHERE ")[2]
        and '"evaluations_jurymember"."user_id" = ' in q["sql"].partition(" WHERE ")[2]
    ]
    assert response.status_code == 200 and response.context["may_decide"]
    assert len(seat_lookups) == 1, seat_lookups


def test_a_dossier_off_the_agenda_is_not_found(client: Any, cast: Any, sitting: Any) -> None:
    session, _ = sitting
    other = workflow.open_dossier(cast, candidate=cast.other_candidate)
    client.force_login(cast.staff_a)

    assert client.get(decision_url(session, other)).status_code == 404


def test_the_decision_page_shows_results_per_sheet_and_the_proposal(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employer)

    response = client.get(decision_url(session, dossier))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Capacité 1.1" in content and "Acquis" in content
    assert content.count('type="checkbox"') == 4
    assert content.count(" checked>") == 4  # all four proposed from the evaluation


def test_the_chair_puts_an_award_the_members_vote_and_it_issues_a_certificate(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employer)

    response = client.post(
        decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD)
    )

    assert response.status_code == 302
    proposal = Proposal.objects.get(dossier=dossier)
    assert proposal.status == ProposalStatus.OPEN and not Decision.objects.exists()
    vote_url = reverse("evaluations:proposal_vote", args=[session.pk, proposal.pk])
    page = client.get(decision_url(session, dossier)).content.decode()
    assert "Voter pour" in page and "1 vote(s)" not in page
    client.post(vote_url, {"choice": "for"})
    # A second vote by the same member is refused and changes nothing.
    client.post(vote_url, {"choice": "against"})
    assert proposal.votes.count() == 1
    client.force_login(cast.jury_employee)
    assert client.post(vote_url, {"choice": "for"}).status_code == 302

    decision = Decision.objects.get(dossier=dossier)
    assert decision.outcome == Outcome.AWARD
    assert decision.recorded_by == cast.jury_employee  # whose vote concluded it
    assert decision.proposal == proposal
    proposal.refresh_from_db()
    assert (proposal.votes_for, proposal.votes_against) == (2, 0)
    assert Certificate.objects.filter(dossier=dossier).count() == 1
    page = client.get(decision_url(session, dossier)).content.decode()
    assert "2 pour, 0 contre, 0 abstention(s), 2 membres présents" in page


def test_a_member_who_is_not_the_chair_cannot_put_a_proposal(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employee)

    response = client.post(
        decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD)
    )

    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_the_secretary_records_a_show_of_hands_and_a_rejected_proposal_can_be_replaced(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.staff_a)
    client.post(decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD))
    proposal = Proposal.objects.get()
    seats = {m.user_id: m.pk for m in session.members.all()}
    hands = reverse("evaluations:proposal_show_of_hands", args=[session.pk, proposal.pk])

    incomplete = client.post(hands, {f"m{seats[cast.jury_employer.pk]}": "for"})
    assert incomplete.status_code == 400  # every member present must be given a vote
    assert not proposal.votes.exists()
    client.post(
        hands,
        {f"m{seats[cast.jury_employer.pk]}": "for", f"m{seats[cast.jury_employee.pk]}": "abstain"},
    )

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED  # 1 of 2 present: no absolute majority
    assert all(v.by_show_of_hands for v in proposal.votes.all())
    page = client.get(decision_url(session, dossier)).content.decode()
    assert "Mettre aux voix" in page  # another proposal may be put
    client.post(decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD))
    assert Proposal.objects.filter(status=ProposalStatus.OPEN).count() == 1


def test_withdrawing_a_proposal_needs_a_reason(client: Any, cast: Any, sitting: Any) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employer)
    client.post(decision_url(session, dossier), all_validated(dossier, outcome=Outcome.AWARD))
    proposal = Proposal.objects.get()
    url = reverse("evaluations:proposal_withdraw", args=[session.pk, proposal.pk])

    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "Erreur sur les capacités proposées"})

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert proposal.withdraw_reason == "Erreur sur les capacités proposées"


def test_a_refused_decision_shows_the_reason_and_keeps_the_input(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    first = first_capacity(dossier)
    data = all_validated(dossier, outcome=Outcome.PARTIAL, reasons="")
    del data[f"c{first.pk}_validated"]
    data[f"c{first.pk}_reason"] = "Geste non maîtrisé à l'entretien"
    client.force_login(cast.staff_a)

    response = client.post(decision_url(session, dossier), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Motivez la décision du jury" in content
    assert "Geste non maîtrisé à l&#x27;entretien" in content
    assert f'value="{Outcome.PARTIAL}" required id="id_outcome_1" checked' in content
    assert not Decision.objects.exists()


# --- The whole path, through the pages ----------------------------------------------


def test_the_whole_path_through_the_pages_ends_with_a_certificate(client: Any, cast: Any) -> None:
    staff, evaluator, jury = client, type(client)(), type(client)()
    staff.force_login(cast.staff_a)
    evaluator.force_login(cast.evaluator)
    jury.force_login(cast.jury_employer)

    staff.post(
        reverse("candidates:dossier_open"),
        {
            "branch": cast.branch_a.pk,
            "last_name": "Marchand",
            "first_name": "Inès",
            "birth_date": "1995-02-03",
            "birth_place": "Rouen",
            "version": cast.version.pk,
            "company": cast.company_a.pk,
            "access_route": "continuing",
        },
    )
    dossier = Dossier.objects.get(candidate__last_name="Marchand")
    staff.post(reverse("candidates:dossier_start_positioning", args=[dossier.pk]))
    staff.post(reverse("candidates:dossier_start_evaluation", args=[dossier.pk]))
    staff.post(
        reverse("evaluations:evaluation_assign", args=[dossier.pk]),
        {"kind": "final", "external_evaluator": cast.evaluator.pk},
    )

    sheet = EvaluationSheet.objects.get(evaluation__dossier=dossier)
    sheet_url = reverse("evaluations:sheet", args=[sheet.pk])
    assert evaluator.get(sheet_url).status_code == 200
    evaluator.post(sheet_url, sheet_data(sheet))
    sheet.refresh_from_db()
    evaluator.post(sheet_url, sheet_data(sheet, action="submit", confirm="on"))
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.READY_FOR_JURY

    staff.post(
        reverse("evaluations:session_create"),
        {"branch": cast.branch_a.pk, "held_on": "2031-06-10T14:00", "place": "Paris"},
    )
    session = JurySession.objects.get()
    for person, role in ((cast.jury_employer, "chair"), (cast.jury_employee, "vice_chair")):
        staff.post(
            reverse("evaluations:session_convoke", args=[session.pk]),
            {"membership": membership(person).pk, "role": role},
        )
    staff.post(
        reverse("evaluations:session_add_dossier", args=[session.pk]), {"dossier": dossier.pk}
    )
    staff.post(reverse("evaluations:session_open", args=[session.pk]))
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN

    jury.post(decision_url(session, dossier), all_validated(dossier, outcome="award"))
    proposal = Proposal.objects.get(dossier=dossier)
    vice = type(client)()
    vice.force_login(cast.jury_employee)
    for member in (jury, vice):
        member.post(
            reverse("evaluations:proposal_vote", args=[session.pk, proposal.pk]),
            {"choice": "for"},
        )
    staff.post(reverse("evaluations:session_close", args=[session.pk]))

    session.refresh_from_db()
    dossier.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    assert dossier.status == DossierStatus.AWARDED
    certificate = Certificate.objects.get(dossier=dossier)
    assert certificate.holder_name == "Inès MARCHAND"

    sign_url = reverse("evaluations:session_minutes_sign", args=[session.pk])
    assert staff.get(sign_url).status_code == 403  # staff do not sign the minutes
    assert "Signer le procès-verbal" in jury.get(sign_url).content.decode()
    refused = jury.post(sign_url, {"password": "not-my-password"})
    assert refused.status_code == 200 and "Mot de passe incorrect" in refused.content.decode()
    for member in (jury, vice):
        assert member.post(sign_url, {"password": workflow.PASSWORD}).status_code == 302
    session.refresh_from_db()
    assert session.minutes_signed_at is not None
    assert session.minutes_signatures.count() == 2


# --- Roll call -----------------------------------------------------------------


def presence_url(session: JurySession, member: Any) -> str:
    return reverse("evaluations:session_member_presence", args=[session.pk, member.pk])


def convoked(cast: Any) -> tuple[JurySession, Any]:
    session = planned_session(cast)
    member = services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
    return session, member


def test_the_roll_call_sends_anonymous_visitors_to_login(client: Any, cast: Any) -> None:
    session, member = convoked(cast)

    assert_redirects_to_login(client.post(presence_url(session, member), {"present": "0"}))


@pytest.mark.parametrize("person", ["staff_b", "candidate_user", "jury_employer"])
def test_the_roll_call_is_not_found_for_people_who_do_not_see_the_session(
    client: Any, cast: Any, person: str
) -> None:
    session, member = convoked(cast)
    client.force_login(getattr(cast, person))

    response = client.post(presence_url(session, member), {"present": "0"})

    assert response.status_code == 404
    member.refresh_from_db()
    assert member.present


def test_the_roll_call_is_forbidden_to_a_convoked_member(client: Any, cast: Any) -> None:
    session, member = convoked(cast)
    client.force_login(cast.jury_employee)

    response = client.post(presence_url(session, member), {"present": "0"})

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.present


def test_staff_mark_a_member_absent_then_present(client: Any, cast: Any) -> None:
    session, member = convoked(cast)
    client.force_login(cast.staff_a)

    response = client.post(presence_url(session, member), {"present": "0"}, follow=True)

    member.refresh_from_db()
    assert not member.present
    assert "absent(e)" in response.content.decode()
    client.post(presence_url(session, member), {"present": "1"})
    member.refresh_from_db()
    assert member.present


def test_a_member_of_another_session_is_not_found(client: Any, cast: Any) -> None:
    session, _member = convoked(cast)
    _other_session, other_member = convoked(cast)
    client.force_login(cast.staff_a)

    response = client.post(presence_url(session, other_member), {"present": "0"})

    assert response.status_code == 404


# --- Dossiers ready for the jury, offered on the session page ---------------------------


def ready_panel(html: str) -> str:
    start = html.index('id="dossiers-prets"')
    return html[start : html.index("</table>", start)]


def test_the_session_page_offers_the_branch_ready_dossiers_each_with_its_button(
    client: Any, cast: Any
) -> None:
    session = planned_session(cast)
    ready = workflow.ready_for_jury(cast)
    busy = in_evaluation(cast)
    client.force_login(cast.staff_a)

    html = client.get(session.get_absolute_url()).content.decode()

    panel = ready_panel(html)
    assert f'name="dossier" value="{ready.pk}"' in panel
    assert ready.candidate.full_name in panel
    assert busy.reference not in panel
    assert "1 dossier prêt pour le jury." in html


def test_the_ready_dossiers_are_searched_and_capped_with_a_hint(client: Any, cast: Any) -> None:
    from evaluations.forms import AgendaForm

    session = planned_session(cast)
    shown = AgendaForm.READY_SHOWN
    dossiers = [workflow.ready_for_jury(cast) for _ in range(shown + 2)]
    client.force_login(cast.staff_a)
    url = session.get_absolute_url()

    html = client.get(url).content.decode()
    assert ready_panel(html).count('name="dossier"') == shown
    assert f"Les {shown} dossiers ouverts depuis le plus longtemps, sur {shown + 2} prêts" in html

    wanted = dossiers[-1]
    found = ready_panel(client.get(url, {"prets": wanted.reference}).content.decode())
    assert found.count('name="dossier"') == 1 and wanted.reference in found

    nothing = client.get(url, {"prets": "zzz-introuvable"}).content.decode()
    assert 'id="dossiers-prets"' not in nothing
    assert "Aucun dossier prêt pour le jury ne correspond à « zzz-introuvable »." in nothing


def test_the_session_page_costs_the_same_queries_for_3_and_30_ready_dossiers(
    client: Any, cast: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = planned_session(cast)
    client.force_login(cast.staff_a)
    counts = []
    for wanted in (3, 30):
        while session.branch.dossiers.filter(status=DossierStatus.READY_FOR_JURY).count() < wanted:
            workflow.ready_for_jury(cast)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(session.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    # One more at most: the count, needed only once the list is capped.
    assert counts[1] - counts[0] in (0, 1)


def test_a_planned_session_page_does_not_look_for_proposals_under_vote(
    client: Any, cast: Any
) -> None:
    """Proposals are put only while a session sits: the planned page spares that query."""
    session = planned_session(cast)
    client.force_login(cast.staff_a)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(session.get_absolute_url()).status_code == 200

    assert not [q for q in queries.captured_queries if '"evaluations_proposal"' in q["sql"]]


def test_a_search_finds_no_other_branch_ready_dossier(client: Any, cast: Any) -> None:
    session = planned_session(cast)
    foreign = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b),
        version=cast.version,
        status=DossierStatus.READY_FOR_JURY,
    )
    assert foreign.branch == cast.branch_b
    client.force_login(cast.staff_a)

    html = client.get(session.get_absolute_url(), {"prets": foreign.reference}).content.decode()

    assert 'id="dossiers-prets"' not in html and f'name="dossier" value="{foreign.pk}"' not in html
    assert "Aucun dossier prêt pour le jury ne correspond" in html


# --- The compliance checklist on the session page ------------------------------------------


def session_page(client: Any, user: Any, session: JurySession) -> str:
    client.force_login(user)
    response = client.get(reverse("evaluations:session_detail", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_session_page_shows_the_checklist_per_branch_and_dossier(
    client: Any, cast: Any
) -> None:
    ready = workflow.ready_for_jury(cast)
    incomplete = workflow.ready_for_jury(
        cast, candidate=CandidateFactory.create(branch=cast.branch_a, birth_place="")
    )
    session = workflow.open_session(cast, [ready, incomplete])
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()

    html = session_page(client, cast.staff_a, session)

    assert "Conformité des documents à délivrer" in html
    assert 'data-code="signatory_missing"' in html
    assert "Aucun signataire n&#x27;est désigné" in html
    assert f"Dossier {incomplete.reference}" in html
    assert 'data-code="holder_identity_incomplete"' in html
    assert f"Dossier {ready.reference}" not in html  # nothing to fix for this one
    assert reverse("administration:branch_settings", args=[cast.branch_a.pk]) in html


def test_the_checklist_says_when_nothing_stands_in_the_way(client: Any, cast: Any) -> None:
    session = workflow.open_session(cast, [workflow.ready_for_jury(cast)])
    html = session_page(client, cast.jury_employer, session)  # a member present may decide
    assert "rien ne s'oppose à la délivrance" in html
    assert "data-code=" not in html


def test_the_checklist_leaves_out_decided_dossiers_and_closed_sessions(
    client: Any, cast: Any
) -> None:
    decision = workflow.award(cast)
    session = decision.session
    type(decision.dossier.candidate).objects.filter(pk=decision.dossier.candidate_id).update(
        birth_place=""
    )
    html = session_page(client, cast.staff_a, session)
    assert "holder_identity_incomplete" not in html  # already issued: nothing left to check
    services.jury_session_close(session=session, by=cast.staff_a)
    assert "Conformité des documents à délivrer" not in session_page(client, cast.staff_a, session)


def test_the_checklist_costs_the_same_queries_for_1_and_for_4_dossiers(
    client: Any, cast: Any
) -> None:
    session = workflow.open_session(cast, [workflow.ready_for_jury(cast)])
    client.force_login(cast.staff_a)
    url = reverse("evaluations:session_detail", args=[session.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        dossier = workflow.ready_for_jury(
            cast, candidate=CandidateFactory.create(branch=cast.branch_a)
        )
        services.jury_session_add_dossier(session=session, dossier=dossier, by=cast.staff_a)
    with CaptureQueriesContext(connection) as four:
        html = client.get(url).content.decode()
    assert html.count(">Délibérer<") == 4
    assert len(four) == len(one)


# --- Staff: handing a grid on, releasing a convoked juror ----------------------------


def reassign_url(sheet: EvaluationSheet) -> str:
    return reverse("evaluations:sheet_reassign", args=[sheet.pk])


def a_successor(cast: Any, email: str = "successeur@example.test") -> User:
    from tests.factories import habilitate

    person = UserFactory.create(email=email, first_name="Sam", last_name="Successeur")
    habilitate(person, branch=cast.branch_a, referentiel=cast.referentiel)
    return person


def test_reassigning_sends_anonymous_visitors_to_login(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()

    assert_redirects_to_login(client.get(reassign_url(sheet)))
    assert_redirects_to_login(client.post(reassign_url(sheet), {"evaluator": cast.evaluator.pk}))


def test_reassigning_is_not_found_for_staff_of_another_branch(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    successor = a_successor(cast)
    client.force_login(cast.staff_b)

    assert client.get(reassign_url(sheet)).status_code == 404
    assert client.post(reassign_url(sheet), {"evaluator": successor.pk}).status_code == 404
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == cast.evaluator


@pytest.mark.parametrize(
    ("person", "status"),
    [("evaluator", 403), ("referent_a", 403), ("candidate_user", 403), ("jury_employer", 404)],
)
def test_people_who_see_the_grid_or_not_cannot_hand_it_on(
    client: Any, cast: Any, person: str, status: int
) -> None:
    """The holder sees the grid (403); the jury member, not convoked, does not (404)."""
    sheet = assigned(cast, binome=True).sheets.get(role=SheetRole.EXTERNAL)
    successor = a_successor(cast)
    client.force_login(getattr(cast, person))

    assert client.get(reassign_url(sheet)).status_code == status
    assert client.post(reassign_url(sheet), {"evaluator": successor.pk}).status_code == status
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == cast.evaluator


def test_a_withdrawn_staff_role_closes_the_reassign_page(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    successor = a_successor(cast)
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.post(reassign_url(sheet), {"evaluator": successor.pk}).status_code in (403, 404)
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == cast.evaluator


def test_staff_hand_a_grid_on_and_the_replaced_evaluator_loses_it(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    successor = a_successor(cast)
    client.force_login(cast.staff_a)

    page = client.get(reassign_url(sheet)).content.decode()
    response = client.post(reassign_url(sheet), {"evaluator": successor.pk})

    assert "Sam Successeur" in page
    assert response.status_code == 302
    assert response["Location"] == sheet.evaluation.dossier.get_absolute_url()
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == successor
    assert not Evaluation.objects.visible_to(cast.evaluator).exists()
    assert Evaluation.objects.visible_to(successor).filter(pk=sheet.evaluation_id).exists()
    client.force_login(cast.evaluator)
    assert client.get(reverse("evaluations:sheet", args=[sheet.pk])).status_code == 404


def test_the_reassign_page_offers_neither_the_holder_nor_a_suspended_evaluator(
    client: Any, cast: Any
) -> None:
    from accounts.services import habilitation_suspend
    from branches.models import EvaluatorHabilitation

    sheet = assigned(cast).sheets.get()
    available = a_successor(cast)
    barred = a_successor(cast, email="suspendu@example.test")
    habilitation_suspend(
        habilitation=EvaluatorHabilitation.objects.get(evaluator=barred),
        by=cast.staff_a,
        reason="Enquête",
    )
    client.force_login(cast.staff_a)

    offered = set(client.get(reassign_url(sheet)).context["form"].fields["evaluator"].queryset)
    response = client.post(reassign_url(sheet), {"evaluator": barred.pk})

    assert offered == {available}
    assert response.status_code == 200 and response.context["form"].errors["evaluator"]
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == cast.evaluator


def test_the_reassign_page_costs_the_same_whatever_the_number_offered(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    a_successor(cast)
    client.force_login(cast.staff_a)
    with CaptureQueriesContext(connection) as one:
        client.get(reassign_url(sheet))

    for n in range(6):
        a_successor(cast, email=f"successeur{n}@example.test")
    with django_assert_num_queries(len(one)):
        content = client.get(reassign_url(sheet)).content.decode()

    assert content.count("successeur") == 7


def test_a_sent_grid_shows_no_form_and_is_not_handed_on(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    workflow.score_all(sheet, by=cast.evaluator)
    successor = a_successor(cast)
    client.force_login(cast.staff_a)

    content = client.get(reassign_url(sheet)).content.decode()
    response = client.post(reassign_url(sheet), {"evaluator": successor.pk})

    assert "ne peut plus être remplacé" in content and 'name="evaluator"' not in content
    assert response.status_code == 200
    assert "ne peut plus être remplacé" in response.content.decode()
    assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator == cast.evaluator


def test_the_dossier_page_links_a_grid_being_filled_in_to_its_reassign_page(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    dossier_url = reverse("candidates:dossier_detail", args=[sheet.evaluation.dossier_id])
    client.force_login(cast.staff_a)
    assert reassign_url(sheet) in client.get(dossier_url).content.decode()

    workflow.score_all(sheet, by=cast.evaluator)

    assert reassign_url(sheet) not in client.get(dossier_url).content.decode()


def release_url(member: JuryMember) -> str:
    return reverse("evaluations:session_member_release", args=[member.session_id, member.pk])


def a_convoked_juror(cast: Any) -> JuryMember:
    session = planned_session(cast)
    return services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)


def test_releasing_sends_anonymous_visitors_to_login_and_takes_no_get(
    client: Any, cast: Any
) -> None:
    member = a_convoked_juror(cast)

    assert_redirects_to_login(client.post(release_url(member)))
    client.force_login(cast.staff_a)
    assert client.get(release_url(member)).status_code == 405
    assert JuryMember.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize(
    ("person", "status"),
    [("staff_b", 404), ("candidate_user", 404), ("jury_employer", 403), ("evaluator", 404)],
)
def test_releasing_is_refused_to_all_but_the_branch_staff(
    client: Any, cast: Any, person: str, status: int
) -> None:
    member = a_convoked_juror(cast)
    client.force_login(getattr(cast, person))

    assert client.post(release_url(member)).status_code == status
    assert JuryMember.objects.filter(pk=member.pk).exists()


def test_a_withdrawn_staff_role_releases_nobody(client: Any, cast: Any) -> None:
    member = a_convoked_juror(cast)
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.post(release_url(member)).status_code in (403, 404)
    assert JuryMember.objects.filter(pk=member.pk).exists()


def test_a_release_without_the_csrf_token_is_refused(cast: Any) -> None:
    from django.test import Client

    member = a_convoked_juror(cast)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)

    assert client.post(release_url(member)).status_code == 403
    assert JuryMember.objects.filter(pk=member.pk).exists()


def test_staff_release_a_juror_who_then_no_longer_sees_the_session(client: Any, cast: Any) -> None:
    member = a_convoked_juror(cast)
    session_url = reverse("evaluations:session_detail", args=[member.session_id])
    client.force_login(cast.staff_a)
    assert release_url(member) in client.get(session_url).content.decode()

    response = client.post(release_url(member), follow=True)

    assert "est retirée" in response.content.decode()
    assert not JuryMember.objects.filter(pk=member.pk).exists()
    client.force_login(cast.jury_employer)
    assert client.get(session_url).status_code == 404


def test_a_seat_in_an_open_session_is_not_released(client: Any, cast: Any) -> None:
    member = a_convoked_juror(cast)
    JurySession.objects.filter(pk=member.session_id).update(status=SessionStatus.OPEN)
    client.force_login(cast.staff_a)

    response = client.post(release_url(member), follow=True)

    assert "opération impossible" in response.content.decode()
    assert JuryMember.objects.filter(pk=member.pk).exists()
    assert release_url(member) not in response.content.decode()


def test_once_the_minutes_are_sealed_jury_members_no_longer_read_grids_or_evidence(
    client: Any, cast: Any
) -> None:
    decision = workflow.award(cast)
    session = workflow.close_and_sign(cast, decision.session)
    dossier = decision.dossier
    client.force_login(cast.jury_employee)

    page = client.get(decision_url(session, dossier)).content.decode()

    assert "signé et scellé" in page
    # The decision stays readable, capacity by capacity; the evaluators' grids do not.
    assert cast.evaluator.get_full_name() not in page and "Pièces du dossier" not in page
    assert "Délivrance totale" in page and "Capacité 1.1" in page
    assert not Dossier.objects.visible_to(cast.jury_employee).filter(pk=dossier.pk).exists()
    client.force_login(cast.staff_a)
    staff_page = client.get(decision_url(session, dossier)).content.decode()
    assert cast.evaluator.get_full_name() in staff_page and "Pièces du dossier" in staff_page


def test_a_departure_without_its_reason_is_marked_on_its_own_row(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    first = first_capacity(dossier)
    data = all_validated(dossier, outcome=Outcome.PARTIAL, reasons="À compléter.")
    del data[f"c{first.pk}_validated"]
    client.force_login(cast.staff_a)

    response = client.post(decision_url(session, dossier), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert f'aria-describedby="id_c{first.pk}_reason_error"' in content
    assert "Motivez l&#x27;écart avec l&#x27;évaluation sur cette capacité." in content
    assert not Proposal.objects.exists()


def test_a_refusal_validates_no_capacity_even_if_boxes_stay_ticked(
    client: Any, cast: Any, sitting: Any
) -> None:
    session, dossier = sitting
    client.force_login(cast.staff_a)
    data = all_validated(dossier, outcome=Outcome.REFUSAL, reasons="Preuves insuffisantes.")

    client.post(decision_url(session, dossier), data)

    proposal = Proposal.objects.get()
    assert proposal.validated_capacity_ids == []
    assert set(proposal.override_reasons.values()) == {"Preuves insuffisantes."}


def test_a_member_waiting_for_a_proposal_is_told_so(client: Any, cast: Any, sitting: Any) -> None:
    session, dossier = sitting
    client.force_login(cast.jury_employee)

    page = client.get(decision_url(session, dossier)).content.decode()

    assert "Aucune proposition n'est soumise au vote pour ce dossier" in page
    assert "Mettre aux voix" not in page and "Voter pour" not in page
