"""Rows of a statement compiled once per process, read back as the ORM would give them.

A statement kept as SQL skips the ORM's building on every read, and with it the step where
Django's compiler turns each column's database value into its Python value (SQLite's dates
come back as text, for instance). The statement keeps, per column that has any, the
converters the compiler would apply; ``values_converted`` applies them to a row.
``CompiledRows`` and ``CompiledModelQuery`` keep a whole query so, with the places of the
arguments each run gives it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import PositionRef, SQLCompiler

# A column's index, its converters in the order the compiler applies them, and the
# expression they are given.
type ColumnConverters = tuple[int, tuple[Callable[..., Any], ...], Any]

# What a compiled query's run is given: values of a row's columns.
type Argument = int | str | datetime


def values_converted(
    values: list[Any], converters: Iterable[ColumnConverters], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The row's values, each column's converters applied in place, as Django's compiler
    applies them to a query's rows."""
    for index, functions, expression in converters:
        for convert in functions:
            values[index] = convert(values[index], expression, connection)
    return values


class CompiledRows:
    """A query compiled once, run again with new arguments: its rows as lists of Python
    values, each column converted as the ORM's compiler converts it.

    Made from a queryset built with placeholder arguments: values of their field's type that
    no real row has and no other parameter equals. Where a placeholder sits among the
    statement's parameters (once or more) is where a run's argument of that name goes.
    Building and compiling a query costs several times what the database spends on a read
    by an index; this pays it once per process. The compiler has already prepared the
    parameters for the database: a run's numbers and strings go in as they are, and its
    aware datetimes are prepared as a DateTimeField prepares them (SQLite's are text)."""

    def __init__(
        self,
        queryset: QuerySet[Any, Any],
        placeholders: Mapping[str, Argument],
        *,
        counted: bool = False,
        first_counted: int | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> None:
        """``counted``: the statement reads the number of the query's rows, as
        ``QuerySet.count()`` reads it. ``first_counted``: it reads the query's first rows, as
        many as this, each with the number of all the query's rows as one more column
        (``rows_and_count``); the query's order is kept and it should be sliced, since every
        row of it is read to be counted. ``texts``: parts of the statement's own text, by
        name, where a run puts text of its own (written in, already quoted, by the caller)."""
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        sql, params = compiler.as_sql()
        # What the compiler worked out about the columns, for reading rows back as models
        # (the compiler itself holds the connection of the thread that compiled it).
        self.select = compiler.select
        self.klass_info = compiler.klass_info
        self.annotation_col_map = compiler.annotation_col_map
        places = {}
        for name, placeholder in placeholders.items():
            prepared = self._prepared(placeholder)
            found = tuple(
                index
                for index, param in enumerate(params)
                if type(param) is type(prepared) and param == prepared
            )
            if not found:
                raise ValueError(
                    f"The placeholder {name}={placeholder!r} is none of the statement's parameters"
                )
            places[name] = found
        for name, placeholder in (texts or {}).items():
            if placeholder not in sql:
                raise ValueError(f"The text {name}={placeholder!r} is not in the statement")
        if counted:
            sql = f"SELECT COUNT(*) FROM ({sql}) counted"
        elif first_counted is not None:
            # One walk gives a page and its count: counted on their own, the rows that make
            # the page were read twice, the second time with a statement of its own.
            sql = (
                f"SELECT *, COUNT(*) OVER () FROM ({sql}) counted "
                f"ORDER BY {_positions_ordered(compiler)} LIMIT {int(first_counted)}"
            )
        self.sql = sql
        self._params = tuple(params)
        self._places = places
        self._texts = dict(texts or {})
        self._converters: tuple[ColumnConverters, ...] = (
            ()
            if counted
            else tuple(
                (index, tuple(functions), expression)
                for index, (functions, expression) in compiler.get_converters(
                    [column[0] for column in compiler.select]
                ).items()
            )
        )

    def _prepared(self, argument: Argument) -> Any:
        if isinstance(argument, datetime):
            return connections[self.db].ops.adapt_datetimefield_value(argument)
        return argument

    def rows(
        self, texts: Mapping[str, str] | None = None, /, **arguments: Argument
    ) -> list[list[Any]]:
        """The rows for these arguments, and these texts written in where the statement was
        compiled with ``texts``."""
        if arguments.keys() != self._places.keys():
            raise TypeError(f"This compiled query takes {sorted(self._places)}")
        texts = texts or {}
        if texts.keys() != self._texts.keys():
            raise TypeError(f"This compiled query takes the texts {sorted(self._texts)}")
        sql = self.sql
        for name, text in texts.items():
            sql = sql.replace(self._texts[name], text)
        params = list(self._params)
        for name, argument in arguments.items():
            prepared = self._prepared(argument)
            for place in self._places[name]:
                params[place] = prepared
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                values_converted(list(row), self._converters, connection)
                for row in cursor.fetchall()
            ]

    def count(self, texts: Mapping[str, str] | None = None, /, **arguments: Argument) -> int:
        [[found]] = self.rows(texts, **arguments)
        return int(found)

    def rows_and_count(
        self, texts: Mapping[str, str] | None = None, /, **arguments: Argument
    ) -> tuple[list[list[Any]], int]:
        """The first rows and the number of all the rows, for a statement compiled with
        ``first_counted``."""
        rows = self.rows(texts, **arguments)
        count = int(rows[0][-1]) if rows else 0
        return [row[:-1] for row in rows], count


def _positions_ordered(compiler: SQLCompiler) -> str:
    """The compiled query's ORDER BY for a statement that reads its rows from it as a
    subquery: Django's compiler already orders a selected column by its position."""
    terms = []
    for expression, _compiled in compiler.get_order_by():
        assert isinstance(expression, OrderBy)
        ordered = expression.expression
        if not isinstance(ordered, PositionRef):
            raise ValueError(f"{ordered!r} is ordered by but not selected")
        position = ordered.ordinal  # type: ignore[attr-defined]  # not in the stubs
        terms.append(f"{position} {'DESC' if expression.descending else 'ASC'}")
    if not terms:
        raise ValueError("A statement read with its count needs an order")
    return ", ".join(terms)


class CompiledModelQuery[M: Model]:
    """``CompiledRows`` read back as model instances (select_related's objects included), as
    iterating the queryset would give them."""

    def __init__(self, queryset: QuerySet[M], placeholders: Mapping[str, Argument]) -> None:
        self._statement = statement = CompiledRows(queryset, placeholders)
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
            or statement.annotation_col_map
        ):
            raise ValueError(
                "A compiled model query reads model instances only: no values(), "
                "prefetch_related() or annotations"
            )
        self.sql = statement.sql
        self._db = statement.db
        # The queryset's own attribute (no public accessor), which its iteration reads too.
        self._fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
        self._select = statement.select
        self._klass_info = statement.klass_info
        select_fields = self._klass_info["select_fields"]
        self._columns = slice(select_fields[0], select_fields[-1] + 1)
        self._init_list = [column[0].target.attname for column in self._select[self._columns]]

    def objects(self, **arguments: Argument) -> list[M]:
        rows = self._statement.rows(**arguments)
        model = self._klass_info["model"]
        # Made per run, as the queryset's iteration makes them: they gather that run's peers.
        populators = get_related_populators(
            self._klass_info, self._select, self._db, self._fetch_mode
        )
        found: list[M] = []
        peers: list[weakref.ref[M]] = []
        for values in rows:
            instance = model.from_db(
                self._db, self._init_list, values[self._columns], fetch_mode=self._fetch_mode
            )
            if self._fetch_mode.track_peers:
                peers.append(weakref.ref(instance))
                instance._state.peers = peers
            for populator in populators:
                populator.populate(values, instance)
            found.append(instance)
        return found
