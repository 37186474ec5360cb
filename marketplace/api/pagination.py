"""Cursor pagination for the long lists (pickups, payments, invoices, jobs, offers): keyset, not offsets.

DRF's CursorPagination keys on the first ordering field alone and counts ties by offset (capped at 1,000), which
breaks on a list where hundreds of pickups share a date. Here the cursor holds the last row's value of every
ordering field, and the next page is the rows after it in that whole order; the order ends in the unique `id`, so
no row is skipped or repeated while rows are added. Cursors are signed: a hand-made one is a 404, never a query.
"""

import datetime as dt
from decimal import Decimal

from django.core import signing
from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import replace_query_param

SALT = "api.cursor"


def _value(row, path: str):
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def _jsonable(value):
    if isinstance(value, dt.date | dt.datetime | dt.time):  # datetime is a date: isoformat keeps its offset
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _flipped(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _after(ordering: tuple[str, ...], position: list) -> Q:
    """Rows strictly after `position` in `ordering`: (a > x) or (a = x and b > y) or ..."""
    condition = Q(pk__in=[])
    equal = Q()
    for field, value in zip(ordering, position, strict=True):
        name = field.lstrip("-")
        condition |= equal & Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": value})
        equal &= Q(**{name: value})
    return condition


class Cursor(CursorPagination):
    """`?cursor=` from a page's `next` or `previous` link; `page_size` up to 100. The order is the list's own."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_description = "Where the page starts: the `next` or `previous` link of the page before."

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering = tuple(queryset.query.order_by)
        if not self.ordering or self.ordering[-1].lstrip("-") not in ("id", "pk"):
            raise ValueError("A cursor-paginated list must be ordered, ending with its id.")
        position, backwards = self._decoded(request)
        order = tuple(_flipped(field) for field in self.ordering) if backwards else self.ordering
        rows = queryset.order_by(*order)
        if position is not None:
            rows = rows.filter(_after(order, position))
        rows = list(rows[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        self.page = rows
        # Coming from a cursor, the rows on its other side exist (the cursor was made from one of them).
        self.has_next = (position is not None) if backwards else more
        self.has_previous = more if backwards else (position is not None)
        return rows

    def _decoded(self, request) -> tuple[list | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None, False
        try:
            data = signing.loads(encoded, salt=SALT)
            position, backwards = data["p"], bool(data["r"])
        except (signing.BadSignature, KeyError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None
        if not isinstance(position, list) or len(position) != len(self.ordering):
            raise NotFound(self.invalid_cursor_message)  # a cursor from another list
        return position, backwards

    def _link(self, row, *, backwards: bool) -> str:
        position = [_jsonable(_value(row, field.lstrip("-"))) for field in self.ordering]
        encoded = signing.dumps({"p": position, "r": int(backwards)}, salt=SALT, compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_next_link(self):
        return self._link(self.page[-1], backwards=False) if self.has_next and self.page else None

    def get_previous_link(self):
        return self._link(self.page[0], backwards=True) if self.has_previous and self.page else None
