"""Search from SPARQL: a catalog parameter of kind ``search``, run on the index, becomes a ``VALUES`` block.

``# param: text: search passage = Libya (...)`` in a catalog query: before the query runs, the
words are searched in the build's index (the syntax of ``/search``) and the matching passages
are bound, best first, as ``VALUES (?passage ?score) { (<…> 12.3) … }`` at the top of the query's
WHERE group (:func:`sdkg.sparql.bindings.insert_values`): IRIs serialised by pyoxigraph, scores as
``xsd:double`` literals written from floats; the
query then runs on the engine like any other (time limit, row cap). The block holds at most as
many documents as the row cap allows (:data:`MAX_HITS` without one). No match binds nothing, so
the query answers no rows.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..sparql.bindings import insert_values
from .index import Budget, SearchIndex
from .schema import KINDS
from .syntax import parse

MAX_HITS = 10_000


def search_values(
    index: SearchIndex, words: str, scope: str, variable: str, budget: Budget, most: int = MAX_HITS
) -> tuple[str, bool]:
    """The ``VALUES`` block binding ``?variable`` and ``?score`` to the (at most ``most``) documents matching
    ``words``, one per line, and whether there were more. Raises ``SearchSyntaxError`` for bad words."""
    if scope and scope not in KINDS:
        raise ValueError(f"a search parameter's scope must be one of {', '.join(KINDS)}, not {scope!r}")
    search = parse(words)
    kinds = (scope,) if scope else KINDS
    limit = budget.rows(most)
    found = index.ranked(search, budget, kinds, limit + 1)
    rows = "".join(f"\n        ({ox.NamedNode(iri)} {score:.4f}e0)" for iri, score in found[:limit])
    return f"\n    VALUES (?{variable} ?score) {{{rows}\n    }}\n", len(found) > limit


def with_search(query: str, block: str) -> str:
    """The query with the search's ``VALUES`` block at the top of its WHERE group."""
    return insert_values(query, block)


def bind_search(
    index: SearchIndex, query: str, words: str, scope: str, variable: str, budget: Budget, most: int = MAX_HITS
) -> tuple[str, bool]:
    """``query`` with ``words`` searched on ``index`` and the matches bound (:func:`search_values`), and
    whether they were cut: what ``/queries/{name}`` runs for a search parameter, and what
    ``bench.catalog_scale`` times with the query, so that the number reported is what a user waits for."""
    block, cut = search_values(index, words, scope, variable, budget, most)
    return with_search(query, block), cut
