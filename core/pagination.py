"""Pagination that stays fast deep into a large list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, Q, QuerySet, Window
from django.utils.functional import cached_property


class DeferredJoinPaginator(Paginator):
    """Finds a page's ids first (an index can answer it, even at a large offset), then joins
    and loads only those rows — instead of joining every skipped row to throw it away.

    `rows`, if given, turns the page's rows — the model's rows with those ids, found by id
    alone, as `object_list`'s filters have already chosen them — into what the page shows
    (say their `.values(...)` across relations). The count and the ids stay on
    `object_list`, free of the joins those values would add, and the filters (a search's
    subqueries) are not evaluated a third time for the rows.

    `count_with_ids` reads the count in the ids' own query (`COUNT(*) OVER ()`), for lists
    whose every match is read anyway to be sorted — a search's — so that their filters run
    once instead of twice. Not for a plain list, whose count an index answers alone and
    whose first page is read from an index without touching the other rows.
    """

    # Only a queryset will do: the page is found through its ids.
    object_list: QuerySet[Any]

    def __init__(
        self,
        object_list: QuerySet[Any],
        *args: Any,
        rows: Callable[[Any], QuerySet[Any, Any]] | None = None,
        count_with_ids: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, *args, **kwargs)
        self.rows = rows
        self.count_with_ids = count_with_ids

    def page(self, number: Any) -> Page:
        found = self._ids_and_count(number) if self.count_with_ids else None
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if found is not None and found[0] == bottom:
            ids = found[1][: top - bottom]
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return Page(self._rows_of(ids), number, self)

    def _rows_of(self, ids: list[Any]) -> list[Any]:
        """The rows with these ids, in their order, joined as the page shows them."""
        if not ids:
            return []
        if self.rows is None:
            # The same queryset (its select_related and prefetches), narrowed to the page's rows.
            rows = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)}
        else:
            by_id = self.object_list.model._default_manager.filter(pk__in=ids)
            rows = {_pk(row): row for row in self.rows(by_id)}
        return [rows[pk] for pk in ids if pk in rows]

    def _ids_and_count(self, number: Any) -> tuple[int, list[Any]] | None:
        """The ids from the page's offset (and the orphans after them) with the count of all
        matches, in one query; sets `count`. None when that query finds nothing (no match,
        or a page past the end): `count` is then read on its own, as without the option."""
        if "count" in self.__dict__:
            return None
        try:
            bottom = (max(int(number), 1) - 1) * self.per_page
        except (TypeError, ValueError):
            bottom = 0  # validate_number refuses it next; page 1 is what get_page shows then
        found = list(
            self.object_list.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[
                bottom : bottom + self.per_page + self.orphans
            ]
        )
        if not found:
            return None
        self.__dict__["count"] = found[0][1]  # Paginator.count is a cached_property
        return bottom, [pk for pk, _total in found]


def _total_ordering(queryset: QuerySet[Any]) -> list[tuple[str, bool]] | None:
    """The queryset's ordering (its own, or its model's default) as (field, descending) pairs
    when it is field names ending with the primary key — a total order a row's key can
    continue from — else None."""
    ordering: list[tuple[str, bool]] = []
    query = queryset.query
    terms = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    for term in terms:
        if not isinstance(term, str) or term == "?":
            return None
        ordering.append((term.lstrip("-"), term.startswith("-")))
    pk_names = {"pk", queryset.model._meta.pk.name}
    if not ordering or ordering[-1][0] not in pk_names:
        return None
    return ordering


def _beyond(ordering: list[tuple[str, bool]], key: tuple[Any, ...], *, forward: bool) -> Q:
    """The rows after (or before) the row whose sort key is `key`, in `ordering`: (a < x) or
    (a = x and b < y) or …, with the first field's bound (a <= x) said on its own so that the
    ordering's index is scanned from the row on, not filtered through."""
    beyond = Q()
    tied = Q()
    for (name, descending), value in zip(ordering, key, strict=True):
        lookup = "lt" if descending == forward else "gt"
        beyond |= tied & Q(**{f"{name}__{lookup}": value})
        tied &= Q(**{name: value})
    first, descending = ordering[0]
    bound = Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": key[0]})
    return bound & beyond


def _pk(row: Any) -> Any:
    """A row's primary key: a model instance's, or a values() dictionary's "pk" (ask for it)."""
    return row["pk"] if isinstance(row, dict) else row.pk


class KeysetPage(Page):
    """A page of a `KeysetPaginator`: it knows the rows it was read from and to, so its links
    continue from them (`next_after`, `previous_before`) rather than from an offset."""

    paginator: KeysetPaginator

    def __init__(
        self,
        object_list: Any,
        number: int,
        paginator: KeysetPaginator,
        *,
        more_before: bool,
        more_after: bool,
    ) -> None:
        super().__init__(object_list, number, paginator)
        self.more_before = more_before
        self.more_after = more_after

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_after(self) -> Any:
        """The id the next page continues after: this page's last row."""
        return _pk(self.object_list[-1]) if self.object_list else None

    @property
    def previous_before(self) -> Any:
        """The id the previous page ends before — none when that page is the first, whose
        plain link is the one a person recognises (and the one cached pages share)."""
        if self.number <= 2 or not self.object_list:
            return None
        return _pk(self.object_list[0])


class KeysetPaginator(DeferredJoinPaginator):
    """The deferred-join paginator for a list that grows without bound (a branch's dossiers).

    - Its count stops at `count_limit`: past it the page says "more than 10,000" rather than
      counting a whole branch's rows on every visit (`capped`).
    - Its next and previous links carry the row they continue from (`?after=<id>`,
      `?before=<id>`, with the page number for display): that row's sort key, read by id,
      bounds an index range scan of the ordering, so a page five thousand pages deep costs
      what the second costs — an OFFSET reads and throws away every row before it.
    - A page number asked for alone (a bookmark, `?page=7`) is still found by offset, the
      only way to it; past the capped count it may be empty, shown as the first page.

    The ordering must be of field names and end with the primary key (a total order); an
    ordering that is not, or a cursor row no longer in the list (it left the filter since),
    falls back to the offset of the page number.
    """

    count_limit = 10_000

    def __init__(self, *args: Any, count_limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if count_limit is not None:
            self.count_limit = count_limit

    @cached_property
    def count(self) -> int:
        """The number of rows, up to `count_limit` + 1 (an index-only count of at most
        that many ids) — exact with `count_with_ids`, whose every match is read anyway."""
        if self.count_with_ids:
            return super().count
        return self.object_list.order_by().values("pk")[: self.count_limit + 1].count()

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted: the total is then unknown."""
        return not self.count_with_ids and self.count > self.count_limit

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.capped and int(number) >= 1:
                return int(number)  # the end is not known: a page past it is found empty
            raise

    def get_page(self, number: Any, *, after: Any = None, before: Any = None) -> KeysetPage:
        """The page a link asks for: continuing after or before a row when it says so, else
        by number (Django's `get_page`: a wrong number gives the first or last page)."""
        try:
            shown = max(int(number), 1)
        except (TypeError, ValueError):
            shown = 1
        for cursor, forward in ((after, True), (before, False)):
            if cursor not in (None, ""):
                continued = self._continued(cursor, forward=forward, number=shown)
                if continued is not None:
                    return continued
        page = super().get_page(number)
        if not page.object_list and page.number > 1 and self.capped:
            page = super().get_page(1)  # past the end of a list whose end is not counted
        assert isinstance(page, KeysetPage)  # Paginator.get_page goes through self.page
        return page

    def page(self, number: Any) -> KeysetPage:
        if not self.capped:
            page = super().page(number)
            return KeysetPage(
                list(page.object_list),
                page.number,
                self,
                more_before=page.number > 1,
                more_after=page.number < self.num_pages,
            )
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(
            self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page + 1]
        )
        return KeysetPage(
            self._rows_of(ids[: self.per_page]),
            number,
            self,
            more_before=number > 1,
            more_after=len(ids) > self.per_page,
        )

    def continuing(self, cursor: Any, *, forward: bool = True) -> QuerySet[Any] | None:
        """The rows after (or, in reverse order, before) the row `cursor`; None when there is
        no usable ordering, the cursor is not an id or its row is not in the list (it left
        the filter since, or it is someone else's)."""
        ordering = _total_ordering(self.object_list)
        if ordering is None:
            return None
        try:
            cursor = self.object_list.model._meta.pk.to_python(cursor)
        except ValidationError:
            return None
        key = (
            self.object_list.filter(pk=cursor)
            .values_list(*(name for name, _descending in ordering))
            .first()
        )
        if key is None or None in key:
            return None
        following = self.object_list.filter(_beyond(ordering, key, forward=forward))
        return following if forward else following.reverse()

    def _continued(self, cursor: Any, *, forward: bool, number: int) -> KeysetPage | None:
        """The page after (or before) the row `cursor`, or None to fall back to the page
        number (see `continuing`)."""
        following = self.continuing(cursor, forward=forward)
        if following is None:
            return None
        ids = list(following.values_list("pk", flat=True)[: self.per_page + 1])
        more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        if not forward:
            if not more:
                return self.page(1)  # back at the start (rows came or went since)
            ids.reverse()
        if not ids:
            return None
        return KeysetPage(
            self._rows_of(ids),
            max(number, 2),
            self,
            more_before=True if forward else more,
            more_after=more if forward else True,
        )
