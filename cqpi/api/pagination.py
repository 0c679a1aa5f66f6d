"""Pagination of API lists: pages for small lists, cursors for the long and growing ones."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


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
