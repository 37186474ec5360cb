"""Querysets compiled to SQL once per shape, then run with each call's values.

Building a queryset (filter(), Q trees, joins, subqueries) and compiling it to SQL costs the ORM about a
millisecond a query: on a hot path of a few indexed reads, more than PostgreSQL takes to run them. When only
the values change from call to call, the SQL does not: CompiledQuery builds the queryset once with stand-in
values, compiles it, remembers where each stand-in landed among the parameters, and from then on runs that
same statement with each call's values in those places. PostgreSQL receives exactly the statement the ORM
would have sent, so its plans (and the tests pinning them) do not change. rows() gives a values_list()
queryset's rows; objects() a model queryset's instances, with what select_related() joins attached, as
iterating the queryset gives them (prefetch_related() is not compiled).

What fixes the shape, and so gets a statement of its own: which values are None, True or False (a build
usually adds or drops a condition on them) and the length of each list (an IN list has a placeholder per
item). Every other value (an int, a str, a date) is a parameter. The build function must depend on its
arguments only: anything else it reads (the clock, settings, rows) would be frozen into the SQL at the first
call. Compiling checks that each value it was given reached the parameters, so a build that puts a value into
the SQL text instead fails loudly there rather than running with a stale one.
"""

import datetime as dt
import enum
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Stand-ins no real parameter can equal: ints far below any key yet inside a 32-bit column's range (Django turns
# an out-of-range integer lookup into an empty or full result instead of a parameter), strings with a NUL byte
# (PostgreSQL text cannot hold one), and dates in the year 1. A column that holds no negative number (a
# PositiveIntegerField) is compiled again with ints far above today's keys instead.
_INT_BASES = (-2_000_000_000, 2_000_000_000)


def _shape_of(value) -> tuple:
    if value is None or isinstance(value, bool) or _beyond_64_bits(value):
        return ("fixed", value)
    if isinstance(value, list | tuple):
        if any(_beyond_64_bits(item) for item in value):
            return ("fixed list", tuple(value))
        return ("list", tuple(_scalar_type(item) for item in value))
    return ("value", _scalar_type(value))


def _plain(value):
    # A choices member (WasteStream.TRASH) is its value to the database, but it hashes and names its type as an
    # enum: as itself it would miss its stand-in's slot and compile a shape of its own.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple) and any(isinstance(item, enum.Enum) for item in value):
        return [item.value if isinstance(item, enum.Enum) else item for item in value]
    return value


def _beyond_64_bits(value) -> bool:
    # An id no column can hold: compiled with the value itself, as the ORM answers it (without asking, or as a
    # constant), not bound as a parameter a backend may refuse (SQLite's driver raises OverflowError).
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63


def _scalar_type(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str | dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"CompiledQuery binds ints, strs and dates, not {type(value).__name__}: {value!r}")
    return type(value).__name__


def _stand_in(kind: str, number: int, int_base: int):
    if kind == "int":
        return int_base + number
    if kind == "str":
        return f"\x00{number}"
    return dt.date(1, 1, 1) + dt.timedelta(days=number)


@dataclass(frozen=True)
class _Statement:
    alias: str
    sql: str
    # per parameter: (value name, index in its list or None, None, adapt) or (None, None, constant, False); adapt:
    # the backend writes the value as it writes dates (SQLite binds them as text)
    slots: list
    converters: list
    col_count: int | None  # rows are cut to it when the SELECT carries extra columns (ordering)
    make: Callable | None  # for a model queryset: row -> instance (select_related() objects attached)


class CompiledQuery:
    """`build(**values)` returns a queryset; rows() or objects() run its SQL, compiled once per shape."""

    def __init__(self, build: Callable[..., QuerySet], *, shapes: int = 256):
        self.build = build
        # Shapes are few (which values are None, how many ids an IN list holds), so the cache rarely evicts.
        self._compiled = functools.lru_cache(maxsize=shapes)(self._compile)

    def rows(self, **values) -> list[tuple]:
        """A values_list() queryset's rows for these values."""
        statement, rows = self._run(values)
        if statement is not None and statement.make is not None:
            raise TypeError(f"{self.build.__qualname__} builds a model queryset: call objects()")
        return rows

    def objects(self, **values) -> list:
        """A model queryset's instances for these values (with what select_related() joins)."""
        statement, rows = self._run(values)
        if statement is not None and statement.make is None:
            raise TypeError(f"{self.build.__qualname__} builds a values_list() queryset: call rows()")
        return [statement.make(row) for row in rows]

    def queryset(self, **values) -> QuerySet:
        """The queryset itself, built with these values (for EXPLAIN, .exists(), comparisons)."""
        return self.build(**values)

    def _run(self, values: dict) -> tuple[_Statement | None, list]:
        values = {name: _plain(value) for name, value in values.items()}
        shape = tuple(sorted((name, _shape_of(value)) for name, value in values.items()))
        statement = self._compiled(shape)
        if statement is None:  # the ORM knows without asking: an empty IN list
            return None, []
        connection = connections[statement.alias]  # this thread's: the statement may have been compiled in another
        params = [
            constant if name is None else _bound(_pick(values[name], index), adapt, connection)
            for name, index, constant, adapt in statement.slots
        ]
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.col_count is not None:
            rows = [row[: statement.col_count] for row in rows]
        if statement.converters:  # as the ORM applies them (JSON decoded, say)
            rows = [_converted(row, statement.converters, connection) for row in rows]
        return statement, rows

    def _compile(self, shape: tuple) -> _Statement | None:
        for int_base in _INT_BASES:
            try:
                return self._compile_with(shape, int_base)
            except EmptyResultSet:
                # A stand-in outside its column's range (a negative id for a PositiveIntegerField) empties the
                # query for stand-ins only: the next ones may fit. "Always empty" would be wrong for real values.
                continue
        # Empty whatever the stand-ins: the ORM knows without asking from the shape's own values (an empty IN
        # list, an id beyond any column).
        if any(
            kind == "fixed list" or (kind == "list" and not detail) or (kind == "fixed" and _beyond_64_bits(detail))
            for _, (kind, detail) in shape
        ):
            return None
        raise ValueError(f"{self.build.__qualname__}: no stand-in fits its columns' ranges; bind it another way")

    def _compile_with(self, shape: tuple, int_base: int) -> _Statement:
        numbers = itertools.count(1)
        arguments, where = {}, {}
        for name, (kind, detail) in shape:
            if kind == "fixed":
                arguments[name] = detail
            elif kind == "fixed list":
                arguments[name] = list(detail)
            elif kind == "list":
                arguments[name] = [_stand_in(item, next(numbers), int_base) for item in detail]
                where.update({stand_in: (name, index) for index, stand_in in enumerate(arguments[name])})
            else:
                arguments[name] = _stand_in(detail, next(numbers), int_base)
                where[arguments[name]] = (name, None)
        queryset = self.build(**arguments)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError(f"{self.build.__qualname__}: prefetch_related() and related managers are not compiled")
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        # A backend may bind a date as something else (SQLite: its ISO text): its stand-ins are found that way too.
        ops = connections[queryset.db].ops
        adapted = {ops.adapt_datefield_value(value): slot for value, slot in where.items() if type(value) is dt.date}
        slots = []
        for param in params:
            try:
                slot, adapt = where.get(param), False
                if slot is None and param in adapted:
                    slot, adapt = adapted[param], True
            except TypeError:  # an unhashable constant (a list for an array column)
                slot = None
            slots.append((*slot, None, adapt) if slot else (None, None, param, False))
        missing = set(where.values()) - {(name, index) for name, index, _, _ in slots if name is not None}
        if missing:
            raise ValueError(f"{self.build.__qualname__}: values not bound as SQL parameters: {sorted(missing)}")
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        return _Statement(
            alias=queryset.db,
            sql=sql,
            slots=slots,
            converters=list(compiler.get_converters(fields).items()),
            col_count=compiler.col_count if compiler.has_extra_select else None,
            make=_instances(queryset, compiler) if queryset._iterable_class is ModelIterable else None,
        )


def _instances(queryset: QuerySet, compiler) -> Callable:
    # What ModelIterable does with each row, its column layout worked out once.
    select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    attnames = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, queryset.db)
    model, alias = klass_info["model"], queryset.db

    def make(row):
        instance = model.from_db(alias, attnames, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in (annotations or {}).items():
            setattr(instance, name, row[position])
        return instance

    return make


def _bound(value, adapt: bool, connection):
    return connection.ops.adapt_datefield_value(value) if adapt else value


def _pick(value, index):
    return value if index is None else value[index]


def _converted(row: tuple, converters: list, connection) -> tuple:
    row = list(row)
    for position, (functions, expression) in converters:
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return tuple(row)
