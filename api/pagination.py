"""Cursor pagination: stable pages over a list that changes while it is read, and no COUNT."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    """Pages of ``page_size`` (up to 200) in the view's ``cursor_ordering``.

    A cursor encodes a position in that order, so a list walked while cases arrive neither
    repeats nor skips rows, and each page is one indexed range scan (no OFFSET, no COUNT).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)

    def get_ordering(self, request, queryset, view):
        custom = getattr(view, "cursor_ordering", None)
        if callable(custom):
            return custom(request)
        return custom or self.ordering
