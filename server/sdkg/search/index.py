"""Read a build's search index: full-text search, type-ahead and search hits for SPARQL, within a budget.

A server opens the index of the build it serves (:func:`open_index`, keyed by the build's
directory, so it switches with the build) and reads it read-only (``immutable``: a sealed build
never changes). Every call takes a :class:`Budget`, the same time limit and row cap as a SPARQL
query: SQLite's progress handler stops a statement past the deadline (:class:`QueryTimeout`,
answered 504 like a query's), and no answer has more rows than the cap. Connections are one
per thread (sqlite3's rule), opened on first use.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..sparql.errors import QueryTimeout
from .schema import INDEX_FILE, KINDS, NAMED_KINDS, SCHEMA_VERSION, WEIGHTS
from .syntax import Marker, Search, SearchSyntaxError, fold, prefix_words

OPEN, CLOSE = "\ue000", "\ue001"
"""Markers of a match in highlighted text (private-use characters: they cannot occur in the data)."""
RANK = "bm25(docs, " + ", ".join(str(w) for w in WEIGHTS) + ")"
"""The ranking, written out: FTS5 evaluates it faster than ``ORDER BY rank`` with the same weights."""
SNIPPET_TOKENS = 24
CANDIDATES = 50
"""Names starting with what is typed that type-ahead considers (read in name order from an index)."""


class IndexUnavailable(Exception):
    """The served build has no search index (made before there was one, or unreadable): rebuild."""


@dataclass(frozen=True)
class Budget:
    """What one call may spend: the deadline (``time.monotonic()``) and the most rows it may return."""

    deadline: float
    max_rows: int | None = None
    seconds: float = 0.0

    @classmethod
    def of(cls, seconds: float, max_rows: int | None) -> Budget:
        return cls(time.monotonic() + seconds, max_rows, seconds)

    def rows(self, wanted: int) -> int:
        """``wanted``, lowered to the row cap."""
        return wanted if self.max_rows is None else min(wanted, self.max_rows)

    def check(self) -> None:
        """Raise :class:`QueryTimeout` when the deadline has passed (for work outside SQLite)."""
        if time.monotonic() > self.deadline:
            raise QueryTimeout(self.seconds)


def marked_html(text: str | None) -> str:
    """Highlighted text, HTML-escaped, matches in ``<mark>``."""
    return html.escape(text or "").replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def unmarked(text: str | None) -> str:
    return (text or "").replace(OPEN, "").replace(CLOSE, "")


@dataclass
class Hit:
    """One search result: a document, what it is, and where the words matched."""

    kind: str
    iri: str
    label: str
    type_label: str | None
    description: str | None
    score: float
    title_html: str
    snippet_html: str
    body_html: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def snippet(self) -> str:
        return unmarked_html(self.snippet_html)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "iri": self.iri,
            "label": self.label,
            "type": self.type_label,
            "description": self.description,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "snippet_html": self.snippet_html,
            **({"passage": self.data} if self.kind == "passage" else {}),
        }


def unmarked_html(marked: str) -> str:
    return html.unescape(marked.replace("<mark>", "").replace("</mark>", ""))


@dataclass
class SearchPage:
    search: Search
    kinds: tuple[str, ...]
    counts: dict[str, int]
    hits: list[Hit]
    offset: int
    limit: int

    @property
    def total(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind in self.kinds)


@dataclass
class Suggestion:
    kind: str
    iri: str
    label: str
    type_label: str | None
    description: str | None
    label_html: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "iri": self.iri,
            "label": self.label,
            "type": self.type_label,
            "description": self.description,
        }


class SearchIndex:
    """One build's index file, read-only."""

    def __init__(self, path: Path):
        self.path = path
        if not path.is_file():
            raise IndexUnavailable(
                "this build has no search index (it was made before search existed): run `sdkg build` again"
            )
        self._local = threading.local()
        try:
            self.meta = dict(self.connection().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as error:
            raise IndexUnavailable(f"the search index cannot be read ({error}): run `sdkg build` again") from None
        if self.meta.get("schema") != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"the search index has format {self.meta.get('schema')!r}, this server reads {SCHEMA_VERSION!r}: "
                "run `sdkg build` again"
            )
        self.kind_ranges: dict[str, tuple[int, int]] = {
            kind: (int(first), int(last)) for kind, (first, last) in json.loads(self.meta["kinds"]).items()
        }

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened read-only, immutable, on first use)."""
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is None:
            uri = f"file:{quote(str(self.path))}?mode=ro&immutable=1"
            found = sqlite3.connect(uri, uri=True)
            self._local.connection = found
        return found

    @contextmanager
    def reading(self, budget: Budget) -> Iterator[sqlite3.Connection]:
        """The connection, with statements stopped at the budget's deadline (a :class:`QueryTimeout`)."""
        try:
            connection = self.connection()
        except sqlite3.Error as error:
            raise IndexUnavailable(f"the search index of the served build cannot be opened ({error})") from None
        budget.check()
        connection.set_progress_handler(lambda: 1 if time.monotonic() > budget.deadline else 0, 2000)
        try:
            yield connection
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                raise QueryTimeout(budget.seconds) from None
            if "fts5" in str(error):  # a search the parser let through and FTS5 refused: still the user's
                raise SearchSyntaxError(f"this search cannot be run: {error}") from None
            raise IndexUnavailable(f"the search index of the served build cannot be read ({error})") from None
        except sqlite3.DatabaseError as error:  # a damaged file: say so, as for a store that reports corruption
            raise IndexUnavailable(f"the search index of the served build cannot be read ({error})") from None
        finally:
            connection.set_progress_handler(None, 0)

    # -- full-text search -----------------------------------------------------------------

    def where(self, search: Search, kinds: Sequence[str] = KINDS) -> tuple[str, list[object]]:
        """The WHERE clause on ``docs`` for a search among some kinds (a kind is a range of rowids), and its values."""
        clause, values = "docs MATCH ?", list[object]([search.fts()])
        if tuple(kinds) != KINDS:
            ranges = [self.kind_ranges[k] for k in kinds if k in self.kind_ranges]
            clause += " AND (" + (" OR ".join("docs.rowid BETWEEN ? AND ?" for _ in ranges) or "0") + ")"
            values += [bound for pair in ranges for bound in pair]
        return clause, values

    def counts(self, search: Search, budget: Budget) -> dict[str, int]:
        """How many documents of each kind match: one pass over the matching rowids (no document is read)."""
        cases = " ".join(
            f"WHEN docs.rowid BETWEEN {int(a)} AND {int(b)} THEN '{k}'" for k, (a, b) in self.kind_ranges.items()
        )
        query = f"SELECT CASE {cases} END AS kind, count(*) FROM docs WHERE docs MATCH ? GROUP BY kind"
        with self.reading(budget) as connection:
            rows = connection.execute(query, (search.fts(),)).fetchall()
        return {kind: int(n) for kind, n in rows if kind}

    def search(
        self, search: Search, budget: Budget, kinds: Sequence[str] = KINDS, limit: int = 20, offset: int = 0
    ) -> SearchPage:
        """A page of results, best first, with the counts per kind."""
        counts = self.counts(search, budget)
        hits = self.hits(search, budget, kinds, limit, offset)
        return SearchPage(search, tuple(kinds), counts, hits, offset, budget.rows(limit))

    def hits(
        self, search: Search, budget: Budget, kinds: Sequence[str] = KINDS, limit: int = 20, offset: int = 0
    ) -> list[Hit]:
        """Matching documents, best first (BM25, the label weighted most), with the matched words marked.

        The ranking reads only the index (the rowids and scores of the best ``limit``); the texts of
        those documents alone are then read and marked (:class:`~.syntax.Marker`), so the cost of a
        common word is its BM25 over the matches, not highlights for every match.
        """
        clause, values = self.where(search, kinds)
        query = f"""SELECT e.kind, e.iri, e.label, e.type_label, e.description, e.data, top.score,
                docs.title, docs.alt, docs.body, docs.about
            FROM (SELECT rowid, {RANK} AS score FROM docs WHERE {clause} ORDER BY score LIMIT ? OFFSET ?) top
            JOIN docs ON docs.rowid = top.rowid JOIN entity e ON e.id = top.rowid
            ORDER BY top.score"""
        with self.reading(budget) as connection:
            rows = connection.execute(query, [*values, budget.rows(limit), offset]).fetchall()
        marker = Marker(search, OPEN, CLOSE)
        found = []
        for kind, iri, label, type_label, description, data, score, title, alt, body, about in rows:
            found.append(
                Hit(
                    kind,
                    iri,
                    label,
                    type_label,
                    description,
                    -float(score),
                    marked_html(marker.mark(title)) if title else html.escape(label),
                    marked_html(marker.snippet([body or "", about or "", alt or ""], SNIPPET_TOKENS)),
                    marked_html(marker.mark(body or "")),
                    json.loads(data) if data else {},
                )
            )
        return found

    def ranked(self, search: Search, budget: Budget, kinds: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """The IRIs of matching documents and their scores (higher is better), best first, without highlights."""
        clause, values = self.where(search, kinds)
        query = f"""SELECT e.iri, d.score FROM (SELECT rowid, {RANK} AS score FROM docs WHERE {clause}
            ORDER BY score LIMIT ?) d JOIN entity e ON e.id = d.rowid ORDER BY d.score"""
        with self.reading(budget) as connection:
            rows = connection.execute(query, [*values, limit]).fetchall()
        return [(iri, -float(score)) for iri, score in rows]

    # -- type-ahead --------------------------------------------------------------------------

    def suggest(self, text: str, budget: Budget, limit: int = 8) -> list[Suggestion]:
        """Named entities for what is typed: first those whose name starts with it (the first
        :data:`CANDIDATES` in name order, from the index on ``entity.name``, shortest first), then those
        with words that start with the typed words (BM25)."""
        expression = prefix_words(text)
        if expression is None:
            return []
        wanted = budget.rows(limit)
        typed = fold(" ".join(text.split()))
        columns = "e.id, e.kind, e.iri, e.label, e.type_label, e.description"
        with self.reading(budget) as connection:
            starting = connection.execute(
                f"SELECT {columns} FROM entity e WHERE e.name >= ? AND e.name < ? ORDER BY e.name LIMIT ?",
                (typed, typed + "\U0010ffff", max(CANDIDATES, wanted)),
            ).fetchall()
            rows = sorted(starting, key=lambda row: (len(row[3]), row[3].lower()))[:wanted]  # the shortest first
            if len(rows) < wanted:
                seen = {row[0] for row in rows}
                more = connection.execute(
                    f"""SELECT {columns} FROM (SELECT rowid, bm25(names, 10.0, 4.0) AS score FROM names
                        WHERE names MATCH ? ORDER BY score LIMIT ?) top
                    JOIN entity e ON e.id = top.rowid ORDER BY top.score, length(e.label)""",
                    (expression, wanted + len(rows)),
                ).fetchall()
                rows += [row for row in more if row[0] not in seen][: wanted - len(rows)]
        words = [fold(w) for w in text.split() if w.strip()]
        return [
            Suggestion(kind, iri, label, type_label, short(description), marked_html(mark_starts(label, words)))
            for _id, kind, iri, label, type_label, description in rows
        ]

    def entity_counts(self, budget: Budget) -> dict[str, int]:
        with self.reading(budget) as connection:
            return dict(connection.execute("SELECT kind, count(*) FROM entity GROUP BY kind").fetchall())


def mark_starts(label: str, words: list[str]) -> str:
    """The label with the words that start with a typed word marked."""
    out, at = [], 0
    for found in re.finditer(r"\w+", label):
        if any(fold(found.group()).startswith(w) for w in words if w):
            out += [label[at : found.start()], OPEN, found.group(), CLOSE]
            at = found.end()
    return "".join(out) + label[at:]


def short(text: str | None, length: int = 140) -> str | None:
    """A description cut at a word boundary for a one-line preview."""
    if not text or len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(",;:. ") + "…"


def open_index(build_dir: Path) -> SearchIndex:
    """The index of the build at ``build_dir``; raises :class:`IndexUnavailable`."""
    return SearchIndex(build_dir / INDEX_FILE)


__all__ = [
    "NAMED_KINDS",
    "Budget",
    "Hit",
    "IndexUnavailable",
    "SearchIndex",
    "SearchPage",
    "Suggestion",
    "open_index",
]
