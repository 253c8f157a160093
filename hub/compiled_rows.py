"""Rows of a statement compiled once per process, read back as the ORM would give them.

A statement kept as SQL skips the ORM's building on every read, and with it the step where
Django's compiler turns each column's database value into its Python value (SQLite's dates
come back as text, for instance). The statement keeps, per column that has any, the
converters the compiler would apply; ``values_converted`` applies them to a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

# A column's index, its converters in the order the compiler applies them, and the
# expression they are given.
type ColumnConverters = tuple[int, tuple[Callable[..., Any], ...], Any]


def values_converted(
    values: list[Any], converters: Iterable[ColumnConverters], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The row's values, each column's converters applied in place, as Django's compiler
    applies them to a query's rows."""
    for index, functions, expression in converters:
        for convert in functions:
            values[index] = convert(values[index], expression, connection)
    return values
