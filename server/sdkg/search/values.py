"""Search from SPARQL: a catalog parameter of kind ``search``, run on the index, becomes a ``VALUES`` block.

``# param: text: search passage = Libya (...)`` in a catalog query: before the query runs, the
words are searched in the build's index (the syntax of ``/search``) and the matching passages
are bound, best first, as ``VALUES (?passage ?score) { (<…> 12.3) … }`` at the top of the query's
WHERE group (:func:`sdkg.sparql.bindings.insert_values`): IRIs serialised by pyoxigraph, scores as
``xsd:double`` literals written from floats; the
query then runs on the engine like any other (time limit, row cap). The block holds at most as
many documents as the row cap allows (:data:`MAX_HITS` without one). No match binds nothing, so
the query answers no rows.

A page of a query sorted by the score first (``ORDER BY DESC(?score)``, :func:`ordered_by_score`)
needs only the best matches: ``best`` asks for that many, and for every match tied with the last
of them (as written, to four decimals), so that the query's further keys sort the ties as they
would among all the matches. Page 1 of ``passage-search`` for words found in every other passage
then binds about a hundred matches instead of ten thousand (2.2 s to about 50 ms at 19M triples,
bench/README.md). The query must answer at most one row per match, as ``passage-search`` does
(it groups by the match).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from ..sparql.bindings import insert_values
from ..sparql.tokens import closing_brace, structure, where_group
from .index import Budget, SearchIndex
from .schema import KINDS
from .syntax import Search, parse

MAX_HITS = 10_000


def search_values(
    index: SearchIndex,
    words: str,
    scope: str,
    variable: str,
    budget: Budget,
    most: int = MAX_HITS,
    best: int | None = None,
) -> tuple[str, bool]:
    """The ``VALUES`` block binding ``?variable`` and ``?score`` to the (at most ``most``) documents matching
    ``words``, one per line, and whether there were more. ``best``: only that many of the best, and the
    matches tied with the last of them; the block is then never said to be cut unless ``best`` reaches
    ``most``. Raises ``SearchSyntaxError`` for bad words."""
    if scope and scope not in KINDS:
        raise ValueError(f"a search parameter's scope must be one of {', '.join(KINDS)}, not {scope!r}")
    search = parse(words)
    kinds = (scope,) if scope else KINDS
    limit = budget.rows(most)
    if best is not None and best < limit:
        found, cut = best_through_ties(index, search, budget, kinds, best, limit)
    else:
        found = index.ranked(search, budget, kinds, limit + 1)
        found, cut = found[:limit], len(found) > limit
    rows = "".join(f"\n        ({ox.NamedNode(iri)} {written(score)})" for iri, score in found)
    return f"\n    VALUES (?{variable} ?score) {{{rows}\n    }}\n", cut


def written(score: float) -> str:
    """A score as the ``VALUES`` block writes it, and so as the query compares it."""
    return f"{score:.4f}e0"


def best_through_ties(
    index: SearchIndex, search: Search, budget: Budget, kinds: Sequence[str], best: int, limit: int
) -> tuple[list[tuple[str, float]], bool]:
    """The ``best`` best matches and every match tied with the last of them, at most ``limit`` (and whether
    the ties ran past it): read in growing steps, since ties are rare."""
    asked = best
    while True:
        found = index.ranked(search, budget, kinds, asked + 1)
        if len(found) <= asked:
            return found, False
        edge = written(found[best - 1][1])
        if written(found[asked][1]) != edge:
            return found[:asked], False
        if asked >= limit:
            return found[:limit], True
        asked = min(2 * asked, limit)


def ordered_by_score(query: str) -> bool:
    """Whether the query's answer is sorted by the search's score first, best first (its outermost
    ``ORDER BY DESC(?score)``, after its WHERE group): only then are a page's rows those of the best matches."""
    _, opened_at = where_group(query)
    closed_at = None if opened_at is None else closing_brace(query, opened_at)
    if closed_at is None:
        return False
    modifiers = [
        match.group().upper() if match.lastgroup == "word" else match.group()
        for match in structure().finditer(query, closed_at + 1)
        if match.lastgroup != "comment"
    ]
    wanted = ["ORDER", "BY", "DESC", "(", "?score", ")"]
    return any(modifiers[i : i + len(wanted)] == wanted for i in range(len(modifiers)))


def with_search(query: str, block: str) -> str:
    """The query with the search's ``VALUES`` block at the top of its WHERE group."""
    return insert_values(query, block)


def bind_search(
    index: SearchIndex,
    query: str,
    words: str,
    scope: str,
    variable: str,
    budget: Budget,
    most: int = MAX_HITS,
    rows: int | None = None,
) -> tuple[str, bool]:
    """``query`` with ``words`` searched on ``index`` and the matches bound (:func:`search_values`), and
    whether they were cut: what ``/queries/{name}`` runs for a search parameter, and what
    ``bench.catalog_scale`` times with the query, so that the number reported is what a user waits for.
    ``rows``: the query's first rows that are wanted (a page's end and one more); when the query sorts
    by the score first, only the matches those need are bound."""
    best = rows if rows is not None and ordered_by_score(query) else None
    block, cut = search_values(index, words, scope, variable, budget, most, best)
    return with_search(query, block), cut
