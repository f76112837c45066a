"""The search index's file: its name in a build directory, its tables, and what each kind and facet is.

One SQLite file per build (``<build>/search.sqlite``), written by :mod:`.build` before the build
is sealed and never changed afterwards: it is published with its store, in the same atomic
move of ``current``, and a server reads the file of the build it serves.

- ``docs`` (FTS5, Porter stemming over ``unicode61`` with diacritics folded): one document per
  claim, passage, actor, case, concept, place, discourse and source, with the columns ``title``
  (the label), ``alt`` (alternative labels), ``body`` (paraphrase, quote or definition) and
  ``about`` (the labels of what it is about: a claim's cases and their places, the actors it
  mentions and the concepts it uses; a passage's claims and their cases), ranked by BM25 with
  the weights in :data:`WEIGHTS`. The rowid is the document's ``entity.id``; documents are
  numbered kind by kind, so a kind is a range of rowids (``meta`` key ``kinds``), which FTS5
  filters on without reading the documents.
- ``entity``: the same documents for display (label, type, short description, a JSON ``data``).
- ``names`` (FTS5, prefix indexes): labels and alternative labels of the named kinds, for type-ahead;
  ``entity.name`` (the label folded, named kinds only, indexed) for names that start with what is typed.
- ``row``: the explorer's cards, one per ascription (a claim as one source ascribes it), numbered
  in reading order (source, then position of the first passage), with the card as JSON and the
  ids of its facet values (``vals``, packed unsigned 32-bit integers).
- ``facet_value``: every value of every facet, its label, its count and its rows (packed, sorted).
- ``doc_row``: which cards a claim's or a passage's document stands for (text search in the explorer).
- ``source``: what a citation of each source may say (title, authors, interviewee, periodical, year).
"""

from __future__ import annotations

from dataclasses import dataclass

INDEX_FILE = "search.sqlite"
SCHEMA_VERSION = "3"

KINDS = ("claim", "passage", "actor", "case", "concept", "place", "discourse", "source")
"""The kinds of document, by the first segment of an entity's path (``/id/{kind}/{slug}``)."""
NAMED_KINDS = ("actor", "case", "concept", "place", "discourse", "source")
"""The kinds offered by type-ahead (claims and passages are found by the full search)."""
KIND_LABELS = {
    "claim": "Claims",
    "passage": "Passages",
    "actor": "Actors",
    "case": "Cases",
    "concept": "Concepts",
    "place": "Places",
    "discourse": "Discourses",
    "source": "Sources",
}
COLUMNS = ("title", "alt", "body", "about")
WEIGHTS = (8.0, 5.0, 3.0, 1.0)
"""BM25 weights of :data:`COLUMNS`: a label counts most, what a document is about least."""


@dataclass(frozen=True)
class Facet:
    """One dimension of the explorer: its URL parameter, heading and a line on what it counts."""

    name: str
    heading: str
    note: str


FACETS: tuple[Facet, ...] = (
    Facet("source", "Source", "the text the claim is ascribed in"),
    Facet("discourse", "Discourse", "the discourses of security the claim expresses or criticises"),
    Facet("stance", "Stance", "the reporter's stance towards the claim"),
    Facet("holder", "Held by", "who holds the claim"),
    Facet("reporter", "Reported by", "who reports it: the authors, the interviewee or an interviewer"),
    Facet("case", "Case", "the cases the claim is about"),
    Facet("actor", "Actor mentioned", "the actors the claim mentions"),
    Facet("concept", "Concept", "the concepts the claim uses"),
    Facet("link", "Argument links", "whether the claim is in an argument link a source makes or an editorial one"),
)
FACET_NAMES = tuple(f.name for f in FACETS)
LINK_VALUES = {
    "source": "in a link a source makes",
    "editorial": "in an editorial link (SDKG editors)",
    "none": "in no argument link",
}

DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE docs USING fts5(
    title, alt, body, about, tokenize = "porter unicode61 remove_diacritics 2"
);
CREATE TABLE entity(
    id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, label TEXT NOT NULL,
    type_label TEXT, description TEXT, data TEXT, name TEXT
);
CREATE VIRTUAL TABLE names USING fts5(
    label, alt, tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3'
);
CREATE TABLE row(
    id INTEGER PRIMARY KEY, ascription TEXT NOT NULL UNIQUE, claim TEXT NOT NULL, card TEXT, vals BLOB
);
CREATE TABLE facet_value(
    id INTEGER PRIMARY KEY, facet TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, iri TEXT,
    total INTEGER NOT NULL, rows BLOB NOT NULL, UNIQUE(facet, key)
);
CREATE TABLE doc_row(doc INTEGER NOT NULL, row INTEGER NOT NULL, PRIMARY KEY(doc, row)) WITHOUT ROWID;
CREATE TABLE source(iri TEXT PRIMARY KEY, data TEXT NOT NULL);
"""
