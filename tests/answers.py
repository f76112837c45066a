"""A query's answer as comparable rows, for the tests that hold two forms of a catalog query to the same answer."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

Value = tuple[str, ...] | frozenset[str] | None
"""A cell: the term itself (kind, then its N-Triples: value, datatype or language), a set for a list column, or
``None`` when unbound."""


def rows_of(result: ox.QuerySolutions, lists: Mapping[str, str]) -> tuple[list[str], list[dict[str, Value]]]:
    """The column names and the rows of ``result``. A column of ``lists`` is a ``GROUP_CONCAT`` read as the set of
    its parts (split at its separator), since its order is the engine's."""
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        row: dict[str, Value] = {}
        for name in names:
            term = solution[name]
            if term is None:
                row[name] = None
            elif name in lists:
                row[name] = frozenset(term.value.split(lists[name])) if term.value else frozenset()
            else:
                row[name] = (type(term).__name__, str(term))
        rows.append(row)
    return names, rows
