"""The query catalog: one SPARQL file per question in ``queries/``, with a header (and, in :mod:`.rdf`,
the catalog as SHACL ``sh:SPARQLExecutable`` s).

Header lines are comments at the top of the file::

    # title: Who criticises realism, and with which argument?
    # description: Claims that criticise the realist discourse, with their holders.
    # question: Which actors argue against realism, and what do they say?
    # param: discourse = <https://w3id.org/sdkg/id/discourse/realist>  (IRI of a discourse)

Parameters are SPARQL variables bound by a ``VALUES`` block of pyoxigraph-serialised terms
(``sdkg.sparql.bindings.substitute``), never by pasting request text into the query; a default is
an IRI in angle brackets or a literal.

A listing whose rows the build numbers (``sdkg:ListingRow``) says so with ``# page-by: rowNumber``:
a page of it is the rows of its numbers, not the whole answer sorted and cut.

A parameter of kind ``search`` (``# param: text: search passage = Libya (words to look for)``) is
words for the build's search index: the server binds ``?text`` to the words as typed and, in
another ``VALUES`` block, the variable named by the scope (``?passage``; ``?hit`` without a
scope) and ``?score`` to the matching documents of that kind, best first
(:func:`sdkg.search.values.search_values`). A query has at most one such parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

_HEADER = re.compile(r"^#\s*(title|description|question|param|page-by)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*(?::\s*([a-z]+)(?:\s+([a-z]+))?\s*)?=\s*(\S.*?)\s*(?:\((.*)\))?$")
KINDS = ("term", "search")
"""What a parameter's value is: an RDF term (the default), or words for the search index."""
CATALOG_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""How a catalog query is named: its file name without ``.rq``."""


class CatalogError(ValueError):
    """A catalog file with a broken header; names the file and line."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str
    description: str = ""
    kind: str = "term"
    scope: str = ""
    """For a ``search`` parameter: the kind of document searched (``passage``, ``claim``, …; empty: all)."""

    def term(self, value: str | None = None) -> ox.NamedNode | ox.Literal:
        if self.kind == "search":
            return ox.Literal((value if value is not None else self.default).strip())
        return parse_term(value if value is not None else self.default)

    @property
    def hit_variable(self) -> str:
        """The variable a search parameter binds to the matching documents."""
        return self.scope or "hit"


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    description: str
    question: str
    text: str
    parameters: list[Parameter] = field(default_factory=list)
    page_by: str = ""
    """The variable a page is chosen by (``# page-by: rowNumber``): the query's rows are numbered 1, 2, …
    in that variable, in the query's order, so page N of size S is the rows numbered (N-1)·S+1 to N·S
    (:mod:`sdkg.web.paging`); empty: a page is cut with ``LIMIT``/``OFFSET``."""


def parse_term(value: str) -> ox.NamedNode | ox.Literal:
    """A parameter value: ``<iri>``, a bare absolute IRI, an integer, or a plain literal."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if re.match(r"^https?://\S+$", value):
        return ox.NamedNode(value)
    if re.match(r"^-?\d+$", value):
        return ox.Literal(value, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return ox.Literal(value)


def read_query(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    parameters: list[Parameter] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            param = _PARAM.match(value)
            if not param:
                raise CatalogError(f"{path}:{number}: expected 'param: name = default (description)'")
            name, kind, scope, default, description = param.groups()
            if (kind or "term") not in KINDS:
                raise CatalogError(f"{path}:{number}: parameter kind {kind!r} is not one of {', '.join(KINDS)}")
            if scope and kind != "search":
                raise CatalogError(f"{path}:{number}: only a search parameter has a scope")
            if kind == "search" and any(p.kind == "search" for p in parameters):
                raise CatalogError(f"{path}:{number}: a query has at most one search parameter")
            parameters.append(Parameter(name, default, description or "", kind or "term", scope or ""))
        elif key == "page-by":
            if not re.fullmatch(r"\??[A-Za-z_]\w*", value.strip()):
                raise CatalogError(
                    f"{path}:{number}: expected 'page-by: variable' (the variable that numbers the rows)"
                )
            fields[key] = value.strip().lstrip("?")
        else:
            fields[key] = value.strip()
    name = path.stem
    if not CATALOG_NAME.match(name):
        raise CatalogError(f"{path}: query file names are lowercase words joined by '-'")
    if "title" not in fields:
        raise CatalogError(f"{path}:1: missing '# title:' header")
    return CannedQuery(
        name=name,
        path=path,
        title=fields["title"],
        description=fields.get("description", ""),
        question=fields.get("question", ""),
        text=text,
        parameters=parameters,
        page_by=fields.get("page-by", ""),
    )


def load_catalog(queries_dir: Path) -> dict[str, CannedQuery]:
    """All canned queries, by name, in file-name order (none when there is no such folder)."""
    return {q.name: q for q in (read_query(p) for p in sorted(queries_dir.glob("*.rq")))}


def read_catalog(queries_dir: Path) -> dict[str, CannedQuery]:
    """The catalog for a build: a folder that cannot be read gives no catalog graph, not a failed build."""
    try:
        return load_catalog(queries_dir)
    except (CatalogError, OSError, ValueError):
        return {}
