"""Pagination that stays fast deep into a large list."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator


class DeferredJoinPaginator(Paginator):
    """Finds a page's ids first (an index can answer it, even at a large offset), then joins
    and loads only those rows — instead of joining every skipped row to throw it away."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # The same queryset (its select_related and prefetches), narrowed to the page's rows.
        rows = (
            {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)} if ids else {}
        )
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
