"""Pagination that stays fast deep into a large list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window


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
        if not ids:
            rows: dict[Any, Any] = {}
        elif self.rows is None:
            # The same queryset (its select_related and prefetches), narrowed to the page's rows.
            rows = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)}
        else:
            by_id = self.object_list.model._default_manager.filter(pk__in=ids)
            rows = {_pk(row): row for row in self.rows(by_id)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)

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


def _pk(row: Any) -> Any:
    """A row's primary key: a model instance's, or a values() dictionary's "pk" (ask for it)."""
    return row["pk"] if isinstance(row, dict) else row.pk
