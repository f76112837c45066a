"""The claim explorer: facets with counts, combined with text search, and keyset paging in reading order.

The unit is a card: a claim as one source ascribes it (an ascription: holder, reporter, stance,
source, passages), with the claim's discourses, cases, actors, concepts and argument links.
Cards are numbered at build time in reading order (source, then the position of the first
passage), so the order is stable and a page is a range of numbers after (or before) a cursor:
no sort of the results is ever made. Each facet value has the sorted list of its cards
(``facet_value.rows``); a selection is the intersection, across facets, of the union of the
selected values within each facet, walked from the smallest list. Counts are per value:
for a facet with a selection, over the cards the *other* facets (and the text) allow, so that
a value can be added as an alternative; for the others, over the selected cards.

The lists are read once per index (:func:`explorer_of`) and kept in memory: a few bytes per
value of each card (about 4 MB for 100,000 cards).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from heapq import merge
from itertools import chain, groupby
from typing import Any

from .index import Budget, IndexUnavailable, SearchIndex
from .schema import FACET_NAMES, FACETS, Facet
from .syntax import Search

MAX_PAGE = 100
MAX_VALUES_PER_FACET = 50
SHOWN = 12
"""Values a facet lists before 'more' (selected values are always listed)."""
MOST_SHOWN = 500


class SelectionError(ValueError):
    """A facet or value that does not exist in this build's index; ``str()`` says which."""


@dataclass(frozen=True)
class FacetValue:
    id: int
    facet: str
    key: str
    label: str
    iri: str | None
    total: int


@dataclass
class FacetCounts:
    """One facet as the page shows it: its values with their counts, the selected ones first."""

    facet: Facet
    values: list[tuple[FacetValue, int, bool]]
    distinct: int
    """How many values have a count above zero (some may not be listed)."""

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v, _n, chosen in self.values if chosen]


@dataclass
class ExplorePage:
    total: int
    cards: list[dict[str, Any]]
    rows: list[int]
    facets: list[FacetCounts]
    first: bool
    has_previous: bool
    has_next: bool
    start: int
    """Position (0-based) of the first card of the page in the selection."""


@dataclass
class Selection:
    """What is asked: values per facet (ids), a text search, and the cursor."""

    values: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    search: Search | None = None

    def is_empty(self) -> bool:
        return not self.values and self.search is None


class Explorer:
    """The facet lists of one index, in memory."""

    def __init__(self, index: SearchIndex):
        self.index = index
        connection = index.connection()
        self.values: dict[int, FacetValue] = {}
        self.by_key: dict[tuple[str, str], FacetValue] = {}
        self.rows_of: dict[int, array[int]] = {}
        self.by_facet: dict[str, list[FacetValue]] = {name: [] for name in FACET_NAMES}
        for id_, facet, key, label, iri, total, rows in connection.execute(
            "SELECT id, facet, key, label, iri, total, rows FROM facet_value ORDER BY facet, total DESC, label"
        ):
            value = FacetValue(id_, facet, key, label, iri, total)
            self.values[id_] = value
            self.by_key[(facet, key)] = value
            self.by_facet.setdefault(facet, []).append(value)
            found = array("I")
            found.frombytes(rows)
            self.rows_of[id_] = found
        self.count = int(connection.execute("SELECT count(*) FROM row").fetchone()[0])
        self.values_of: list[array[int]] = [array("I")] * (self.count + 1)
        for row, vals in connection.execute("SELECT id, vals FROM row"):
            found = array("I")
            found.frombytes(vals or b"")
            self.values_of[row] = found
        self.sources: dict[str, dict[str, Any]] = {
            iri: json.loads(data) for iri, data in connection.execute("SELECT iri, data FROM source")
        }

    # -- the selection ---------------------------------------------------------------------------

    def value(self, facet: str, key: str) -> FacetValue:
        if facet not in FACET_NAMES:
            raise SelectionError(f"no facet {facet!r} (facets: {', '.join(FACET_NAMES)})")
        found = self.by_key.get((facet, key))
        if found is None:
            raise SelectionError(f"no {facet} {key!r} in this build: pick a value listed on /explore")
        return found

    def select(self, pairs: Iterable[tuple[str, str]], search: Search | None = None) -> Selection:
        """A selection from ``(facet, key)`` pairs; raises :class:`SelectionError` for unknown ones."""
        chosen: dict[str, list[FacetValue]] = {}
        for facet, key in pairs:
            value = self.value(facet, key)
            listed = chosen.setdefault(facet, [])
            if value not in listed:
                listed.append(value)
            if len(listed) > MAX_VALUES_PER_FACET:
                raise SelectionError(f"at most {MAX_VALUES_PER_FACET} values of {facet!r} can be selected at once")
        ordered = {name: tuple(chosen[name]) for name in FACET_NAMES if name in chosen}
        return Selection(ordered, search)

    def text_rows(self, search: Search, budget: Budget) -> list[int]:
        """The cards whose claim or passages match the search (sorted)."""
        clause, values = self.index.where(search, ("claim", "passage"))
        query = f"""SELECT DISTINCT d.row FROM doc_row d
            WHERE d.doc IN (SELECT rowid FROM docs WHERE {clause}) ORDER BY d.row"""
        with self.index.reading(budget) as connection:
            rows = connection.execute(query, values).fetchall()
        return [r for (r,) in rows]

    def facet_rows(self, values: Sequence[FacetValue]) -> Sequence[int]:
        """The cards with any of ``values`` (one facet), sorted."""
        if len(values) == 1:
            return self.rows_of[values[0].id]
        merged = merge(*(self.rows_of[v.id] for v in values))  # the lists are sorted: a merge, not a sort
        return [row for row, _same in groupby(merged)]

    @staticmethod
    def intersect(lists: list[Sequence[int]]) -> Sequence[int] | None:
        """The sorted intersection of sorted lists (``None`` for no list: everything), from the shortest."""
        if not lists:
            return None
        ordered = sorted(lists, key=len)
        driver, others = ordered[0], [set(o) for o in ordered[1:]]
        if not others:
            return driver
        return [r for r in driver if all(r in o for o in others)]

    # -- counts and the page ---------------------------------------------------------------------

    def counts_over(self, rows: Sequence[int] | None, budget: Budget) -> Mapping[int, int]:
        """How many of ``rows`` (all cards for ``None``) have each value."""
        if rows is None:
            return {id_: v.total for id_, v in self.values.items()}
        budget.check()
        values_of = self.values_of
        return Counter(chain.from_iterable(map(values_of.__getitem__, rows)))

    def explore(
        self,
        selection: Selection,
        budget: Budget,
        after: int | None = None,
        before: int | None = None,
        size: int = 20,
        expand: Iterable[str] = (),
    ) -> ExplorePage:
        """The cards of the selection after (or before) a cursor, and every facet's counts."""
        text = self.text_rows(selection.search, budget) if selection.search is not None else None
        parts: dict[str, Sequence[int]] = {f: self.facet_rows(v) for f, v in selection.values.items()}
        budget.check()
        every = [*parts.values(), *([text] if text is not None else [])]
        chosen = self.intersect(every)
        total = self.count if chosen is None else len(chosen)
        overall = self.counts_over(chosen, budget)
        facets = []
        expanded = set(expand)
        for facet in FACETS:
            counts = overall
            if facet.name in parts:  # counted over what the other facets and the text allow
                rest = [rows for name, rows in parts.items() if name != facet.name]
                counts = self.counts_over(self.intersect(rest + ([text] if text is not None else [])), budget)
            facets.append(self.facet_counts(facet, counts, selection, facet.name in expanded))
        page, start, has_previous, has_next = self.page(chosen, after, before, min(size, MAX_PAGE))
        cards = self.cards(page, budget)
        return ExplorePage(total, cards, page, facets, after is None and before is None, has_previous, has_next, start)

    def facet_counts(
        self, facet: Facet, counts: Mapping[int, int], selection: Selection, expanded: bool
    ) -> FacetCounts:
        chosen = {v.id for v in selection.values.get(facet.name, ())}
        listed = [(v, counts.get(v.id, 0), v.id in chosen) for v in self.by_facet.get(facet.name, [])]
        present = [item for item in listed if item[1] > 0 or item[2]]
        present.sort(key=lambda item: (not item[2], -item[1], item[0].label.lower()))
        limit = MOST_SHOWN if expanded else SHOWN
        shown = [item for i, item in enumerate(present) if i < limit or item[2]]
        return FacetCounts(facet, shown, sum(1 for item in listed if item[1] > 0))

    def page(
        self, chosen: Sequence[int] | None, after: int | None, before: int | None, size: int
    ) -> tuple[list[int], int, bool, bool]:
        """The cards after (or before) the cursor: a range of the sorted selection, found by bisection."""
        if chosen is None:
            chosen = range(1, self.count + 1)
        if before is not None:
            end = bisect_left(chosen, before)
            start = max(0, end - size)
        else:
            start = bisect_right(chosen, after) if after is not None else 0
            end = start + size
        rows = list(chosen[start:end])
        return rows, start, start > 0, end < len(chosen)

    def cards(self, rows: Sequence[int], budget: Budget) -> list[dict[str, Any]]:
        """The cards of ``rows``, in that order."""
        if not rows:
            return []
        with self.index.reading(budget) as connection:
            found = dict(
                connection.execute(
                    f"SELECT id, card FROM row WHERE id IN ({', '.join('?' * len(rows))})", list(rows)
                ).fetchall()
            )
        return [{"row": r, **json.loads(found[r])} for r in rows if r in found]

    def card_of(self, ascription: str, budget: Budget) -> dict[str, Any] | None:
        """The card of one ascription (by IRI), or ``None``."""
        with self.index.reading(budget) as connection:
            found = connection.execute("SELECT id, card FROM row WHERE ascription = ?", (ascription,)).fetchone()
        return {"row": found[0], **json.loads(found[1])} if found else None

    def all_rows(self, selection: Selection, budget: Budget) -> tuple[list[int], bool, int]:
        """Every card of the selection up to the row cap (for downloads), whether it was cut, and how many there are."""
        text = self.text_rows(selection.search, budget) if selection.search is not None else None
        parts = [self.facet_rows(v) for v in selection.values.values()] + ([text] if text is not None else [])
        chosen = self.intersect(parts)
        rows: Sequence[int] = range(1, self.count + 1) if chosen is None else chosen
        cap = budget.rows(len(rows))
        return list(rows[:cap]), cap < len(rows), len(rows)


_LOCK = threading.Lock()


def explorer_of(index: SearchIndex) -> Explorer:
    """The explorer of ``index``, read on first use and kept with it."""
    found: Explorer | None = getattr(index, "_explorer", None)
    if found is None:
        with _LOCK:
            found = getattr(index, "_explorer", None)
            if found is None:
                try:
                    found = Explorer(index)
                except sqlite3.Error as error:
                    raise IndexUnavailable(f"the explorer's lists cannot be read ({error})") from None
                index._explorer = found  # type: ignore[attr-defined]
    return found
