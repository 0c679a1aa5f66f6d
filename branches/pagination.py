"""Pagination that stays fast deep into a large list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class DeferredJoinPaginator(Paginator):
    """Finds a page's ids first (an index can answer it, even at a large offset), then joins
    and loads only those rows — instead of joining every skipped row to throw it away.

    `rows`, if given, turns the page's rows — the model's rows with those ids, found by id
    alone, as `object_list`'s filters have already chosen them — into what the page shows
    (say their `.values(...)` across relations). The count and the ids stay on
    `object_list`, free of the joins those values would add, and the filters (a search's
    subqueries) are not evaluated a third time for the rows.
    """

    # Only a queryset will do: the page is found through its ids.
    object_list: QuerySet[Any]

    def __init__(
        self,
        object_list: QuerySet[Any],
        *args: Any,
        rows: Callable[[Any], QuerySet[Any, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, *args, **kwargs)
        self.rows = rows

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
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


def _pk(row: Any) -> Any:
    """A row's primary key: a model instance's, or a values() dictionary's "pk" (ask for it)."""
    return row["pk"] if isinstance(row, dict) else row.pk
