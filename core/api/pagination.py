"""Pagination of API lists: pages for small lists, cursors for the long and growing ones."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class PagePagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class IdCursorPagination(CursorPagination):
    """Stable under inserts: ordered by the primary key, unique and indexed; newest first."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class DeferredJoinCursorPagination(IdCursorPagination):
    """Finds a page's ids first, which an index on (tenant, id) answers without touching the
    table, then loads those rows with their joins: the planner otherwise walks the primary key
    backwards through every other branch's dossiers to find a branch's newest ones."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        ids_page = super().paginate_queryset(
            queryset.select_related(None).only("pk"), request, view
        )
        if ids_page is None:
            return None
        ids = [row.pk for row in ids_page]
        rows = queryset.order_by().in_bulk(ids)
        self.page = [rows[pk] for pk in ids if pk in rows]
        return self.page
