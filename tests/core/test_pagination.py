"""The deferred-join and keyset paginators give the same pages as Django's, in the same order."""

import datetime

import pytest
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


# --- The keyset paginator: links that continue from a row, a count that stops ------------


def varied_dossiers(cast, count):
    """Dossiers whose sort keys tie in every way a page boundary can fall on: shared opening
    days, shared last names, every status of a few."""
    statuses = ["opened", "positioning", "evaluation"]
    for index in range(count):
        DossierFactory.create(
            candidate=CandidateFactory.create(
                branch=cast.branch_a, last_name=f"Nom{index % 4}", first_name=f"P{index % 3}"
            ),
            version=cast.version,
            opened_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=index % 5),
            status=statuses[index % 3],
        )


def walk(paginator_of, direction):
    """Every page of the list, following the next links from the first page (or the
    previous links back from the last one reached that way), as lists of ids."""
    page = paginator_of().get_page(1)
    pages = [[d.pk for d in page]]
    while page.has_next():
        page = paginator_of().get_page(page.next_page_number(), after=page.next_after)
        pages.append([d.pk for d in page])
    if direction == "forward":
        return pages
    back = [[d.pk for d in page]]
    while page.has_previous():
        page = paginator_of().get_page(page.previous_page_number(), before=page.previous_before)
        back.append([d.pk for d in page])
    return back[::-1]


@pytest.mark.parametrize("sort", ["-opened", "opened", "name", "-name", "status"])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_following_the_links_gives_the_pages_of_the_offset_in_every_sort(cast, sort, direction):
    from candidates.forms import DossierFilterForm
    from core.pagination import KeysetPaginator

    varied_dossiers(cast, 23)
    queryset = Dossier.objects.filter(branch=cast.branch_a).order_by(*DossierFilterForm.SORTS[sort])
    expected = [[d.pk for d in Paginator(queryset, 5).page(n)] for n in range(1, 6)]

    pages = walk(lambda: KeysetPaginator(queryset, 5), direction)

    assert pages == expected


def test_a_continued_page_is_found_from_its_row_without_an_offset_or_a_whole_count(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.pagination import KeysetPaginator

    queryset = many_dossiers(cast, 23)
    ids = list(queryset.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = KeysetPaginator(queryset, 5, count_limit=10).get_page(3, after=ids[9])
    assert [d.pk for d in page] == ids[10:15]
    assert page.number == 3 and page.has_previous() and page.has_next()
    assert not any("OFFSET" in q["sql"] for q in queries.captured_queries)
    key, ids_sql, rows_sql = (q["sql"] for q in queries.captured_queries)
    assert f'."id" = {ids[9]}' in key  # the cursor row's sort key, read by id
    assert "LIMIT 6" in ids_sql  # a row more than the page says whether another follows
    assert "JOIN" not in ids_sql and '"id" IN' in rows_sql
    assert page.previous_before == ids[10] and page.next_after == ids[14]


def test_the_count_stops_at_its_limit_and_the_pages_say_so(cast):
    from core.pagination import KeysetPaginator

    queryset = many_dossiers(cast, 23)
    ids = list(queryset.values_list("pk", flat=True))
    paginator = KeysetPaginator(queryset, 5, count_limit=10)
    assert (paginator.count, paginator.capped) == (11, True)
    deep = paginator.get_page(5)  # by offset, past what was counted
    assert [d.pk for d in deep] == ids[20:] and not deep.has_next() and deep.has_previous()
    assert [d.pk for d in paginator.get_page(4)] == ids[15:20] and paginator.get_page(4).has_next()
    assert paginator.get_page(9).number == 1  # past the end of an uncounted list: the first

    exact = KeysetPaginator(queryset, 5, count_limit=23)
    assert (exact.count, exact.capped, exact.num_pages) == (23, False, 5)
    assert exact.get_page(9).number == 5  # Django's rule: the last page
    searching = KeysetPaginator(queryset, 5, count_limit=10, count_with_ids=True)
    searching.get_page(1)
    assert (searching.count, searching.capped) == (23, False)  # read anyway, so exact


def test_a_cursor_that_left_the_list_or_is_not_an_id_falls_back_to_the_page_number(cast):
    from core.pagination import KeysetPaginator

    queryset = many_dossiers(cast, 12)
    elsewhere = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b), version=cast.version
    )
    ids = list(queryset.values_list("pk", flat=True))
    paginator = KeysetPaginator(queryset, 5)
    for cursor in (elsewhere.pk, "x", "", 10**12, 10**30, -5):
        page = paginator.get_page(2, after=cursor)
        assert (page.number, [d.pk for d in page]) == (2, ids[5:10])
    unordered = KeysetPaginator(queryset.order_by("-opened_on"), 5)  # not a total order
    assert unordered.get_page(2, after=ids[0]).number == 2


def test_going_back_past_the_start_gives_the_first_page(cast):
    from core.pagination import KeysetPaginator

    queryset = many_dossiers(cast, 12)
    ids = list(queryset.values_list("pk", flat=True))
    page = KeysetPaginator(queryset, 5).get_page(4, before=ids[3])  # rows came or went since
    assert (page.number, [d.pk for d in page]) == (1, ids[:5])
    assert not page.has_previous() and page.previous_before is None
