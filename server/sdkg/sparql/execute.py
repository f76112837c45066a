"""Run one query against a pyoxigraph store and serialise its result, in one thread.

pyoxigraph result iterators are bound to the thread that created them (iterating
from another thread aborts the process), so evaluation and serialisation always
happen together inside :func:`run_query`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import PREFIXES
from .negotiation import RDF_FORMAT_OF, RESULTS_FORMAT_OF, Format, NotAcceptable


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset of a request (``default-graph-uri`` / ``named-graph-uri``)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass
class QueryOutput:
    body: bytes
    media_type: str
    kind: str  # "solutions", "boolean" or "graph"
    rows: int | None = None
    truncated: bool = False
    headers: dict[str, str] = field(default_factory=dict)


_UPDATE_KEYWORDS = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"#[^\n<>\"']*$", re.MULTILINE)


def looks_like_update(text: str) -> bool:
    """An update operation (refused by a read-only endpoint) rather than a malformed query."""
    return bool(_UPDATE_KEYWORDS.match(_COMMENT.sub("", text)))


def query_options(dataset: Dataset) -> dict[str, object]:
    if dataset.default_graphs or dataset.named_graphs:
        options: dict[str, object] = {}
        if dataset.default_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
        if dataset.named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        elif dataset.default_graphs:
            options["named_graphs"] = []
        return options
    return {"use_default_graph_as_union": True}


def serialise_graph(triples: ox.QueryTriples, fmt: Format) -> bytes:
    rdf_format = RDF_FORMAT_OF[fmt.media_type]
    if rdf_format == ox.RdfFormat.TURTLE:
        return ox.serialize(list(triples), format=rdf_format, prefixes=PREFIXES) or b""
    if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        return ox.serialize(quads, format=rdf_format) or b""
    return triples.serialize(format=rdf_format) or b""


def run_query(
    store: ox.Store,
    query: str,
    results_format: Format | None,
    graph_format: Format | None,
    dataset: Dataset = Dataset(),
    substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
) -> QueryOutput:
    """Evaluate and serialise; raises ``SyntaxError`` for a malformed query, ``NotAcceptable`` for no format."""
    options = query_options(dataset)
    if substitutions:
        options["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
    result = store.query(query, **options)  # type: ignore[arg-type]
    if isinstance(result, ox.QueryBoolean):
        if results_format is None:
            raise NotAcceptable([])
        body = result.serialize(format=RESULTS_FORMAT_OF[results_format.media_type]) or b""
        return QueryOutput(body, results_format.media_type, "boolean")
    if isinstance(result, ox.QuerySolutions):
        if results_format is None:
            raise NotAcceptable([])
        body = result.serialize(format=RESULTS_FORMAT_OF[results_format.media_type]) or b""
        return QueryOutput(body, results_format.media_type, "solutions")
    if graph_format is None:
        raise NotAcceptable([])
    return QueryOutput(serialise_graph(result, graph_format), graph_format.media_type, "graph")
