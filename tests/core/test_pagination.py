"""The deferred-join paginator gives the same pages as Django's, in the same order."""

import datetime

from django.core.paginator import Paginator

from candidates.models import Dossier
from tests.factories import CandidateFactory, DossierFactory


def test_pages_match_the_plain_paginator_in_content_and_order(cast, django_assert_num_queries):
    from core.pagination import DeferredJoinPaginator

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


def test_rows_as_values_leave_the_count_and_the_ids_without_joins(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from candidates.models import DossierQuerySet
    from core.pagination import DeferredJoinPaginator

    for _ in range(12):
        DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a), version=cast.version
        )
    queryset = Dossier.objects.filter(opened_on__lte=datetime.date(2100, 1, 1)).order_by(
        "-opened_on", "-pk"
    )
    paginator = DeferredJoinPaginator(queryset, 5, rows=DossierQuerySet.list_values)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
    count, ids, rows = (q["sql"] for q in queries.captured_queries)
    assert "COUNT(" in count and "JOIN" not in count
    assert "JOIN" not in ids
    assert "JOIN" in rows  # the page's five rows, with their candidate and CQPI
    assert '"opened_on" <=' in ids and '"opened_on" <=' not in rows  # found by id alone
    expected = list(queryset.values_list("pk", flat=True)[5:10])
    assert [row["pk"] for row in page] == expected
    assert all(row["version__referentiel__title"] == cast.version.referentiel.title for row in page)


def many_dossiers(cast, count):
    for _ in range(count):
        DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a), version=cast.version
        )
    return Dossier.objects.filter(branch=cast.branch_a).order_by("-opened_on", "-pk")


def test_the_count_read_with_the_ids_gives_the_same_pages_in_one_query_fewer(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.pagination import DeferredJoinPaginator

    queryset = many_dossiers(cast, 23)
    for number in (1, 2, 3):
        plain = Paginator(queryset, 10).page(number)
        with CaptureQueriesContext(connection) as queries:
            page = DeferredJoinPaginator(queryset, 10, count_with_ids=True).page(number)
        assert [d.pk for d in page] == [d.pk for d in plain]
        assert (page.paginator.count, page.paginator.num_pages) == (23, 3)
        assert len(queries) == 2  # ids with the count, then the rows
        assert "COUNT(" in queries[0]["sql"] and "OVER ()" in queries[0]["sql"]


def test_the_count_read_with_the_ids_keeps_orphans_and_out_of_range_pages(cast):
    from core.pagination import DeferredJoinPaginator

    queryset = many_dossiers(cast, 12)
    with_orphans = DeferredJoinPaginator(queryset, 5, orphans=2, count_with_ids=True)
    assert [d.pk for d in with_orphans.page(2)] == [
        d.pk for d in Paginator(queryset, 5, orphans=2).page(2)
    ]
    assert len(with_orphans.page(2)) == 7
    for asked in ("9", "0", "x", None):
        expected = Paginator(queryset, 5).get_page(asked)
        got = DeferredJoinPaginator(queryset, 5, count_with_ids=True).get_page(asked)
        assert (got.number, [d.pk for d in got]) == (expected.number, [d.pk for d in expected])
    empty = DeferredJoinPaginator(queryset.none(), 5, count_with_ids=True).get_page(1)
    assert (empty.paginator.count, list(empty)) == (0, [])
