"""The deferred-join paginator gives the same pages as Django's, in the same order."""

from django.core.paginator import Paginator

from candidates.models import Dossier
from tests.factories import CandidateFactory, DossierFactory


def test_pages_match_the_plain_paginator_in_content_and_order(cast, django_assert_num_queries):
    from branches.pagination import DeferredJoinPaginator

    for _ in range(23):
        DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a), version=cast.version
        )
    queryset = Dossier.objects.with_list_relations().order_by("-opened_on", "-pk")
    for number in (1, 2, 3):
        plain = Paginator(queryset, 10).page(number)
        deferred = DeferredJoinPaginator(queryset, 10).page(number)
        assert [d.pk for d in deferred] == [d.pk for d in plain]
    page = DeferredJoinPaginator(queryset, 10).page(3)
    with django_assert_num_queries(0):  # relations came with the page's rows
        names = [d.candidate.last_name + d.version.referentiel.title for d in page]
    assert len(names) == 3
