"""Dossier visibility per role: the one tenant filter for dossiers."""

from candidates.models import Dossier
from evaluations.models import Evaluation
from tests.factories import CandidateFactory, DossierFactory
from tests.workflow import open_session, ready_for_jury


def test_each_role_sees_exactly_its_dossiers(cast):
    own = ready_for_jury(cast, binome=True)
    # An employee of the référent's company too, whose evaluation is not theirs to score.
    other_candidates = DossierFactory.create(
        candidate=cast.other_candidate, version=cast.version, company=cast.company_a
    )
    foreign = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b), version=cast.version
    )
    open_session(cast, [own])

    def visible(user):  # type: ignore[no-untyped-def]
        return set(Dossier.objects.visible_to(user))

    assert visible(cast.staff_a) == {own, other_candidates}
    assert visible(cast.staff_b) == {foreign}
    assert visible(cast.candidate_user) == {own}
    assert visible(cast.other_candidate_user) == {other_candidates}
    assert visible(cast.evaluator) == {own}
    assert visible(cast.referent_a) == {own}  # the grid they score, not the whole company
    assert visible(cast.jury_employer) == {own}  # on the agenda of their session
    assert visible(cast.coc_observer) == set()
    assert visible(cast.outsider) == set()
    assert visible(cast.admin) == {own, other_candidates, foreign}


def test_evaluations_follow_the_dossier_scope(cast):
    ready_for_jury(cast)
    assert Evaluation.objects.visible_to(cast.staff_a).count() == 1
    assert Evaluation.objects.visible_to(cast.staff_b).count() == 0


def test_the_scoped_list_costs_one_query(cast, django_assert_num_queries):
    for _ in range(3):
        DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a), version=cast.version
        )
    from branches.access import roles_of

    roles_of(cast.staff_a)
    with django_assert_num_queries(1):
        rows = list(Dossier.objects.visible_to(cast.staff_a).with_list_relations())
        names = [d.candidate.last_name + d.version.referentiel.title for d in rows]
    assert len(names) == 3


def test_lists_read_through_grants_cost_one_query(cast, django_assert_num_queries):
    """Evaluator, référent and jury member: each grant is one EXISTS in the list's query."""
    from branches.access import roles_of

    dossiers = [ready_for_jury(cast, binome=True) for _ in range(3)]
    open_session(cast, dossiers)
    for user in (cast.evaluator, cast.referent_a, cast.jury_employer):
        roles_of(user)
        with django_assert_num_queries(1):
            rows = list(Dossier.objects.visible_to(user).with_list_relations())
            names = [d.candidate.last_name + d.version.referentiel.title for d in rows]
        assert len(names) == 3
        with django_assert_num_queries(1):
            assert len(list(Evaluation.objects.visible_to(user))) == 3
