"""Run one query against a pyoxigraph store and serialise its result, in one thread.

pyoxigraph result iterators are bound to the thread that created them (iterating
from another thread aborts the process), so evaluation and serialisation always
happen together inside :func:`run_query`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from ..namespaces import PREFIXES
from .bindings import substitute
from .negotiation import GRAPH_FORMATS, RDF_FORMAT_OF, RESULT_FORMATS, RESULTS_FORMAT_OF, Format, NotAcceptable
from .results import write_solutions

T = TypeVar("T")


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset of a request (``default-graph-uri`` / ``named-graph-uri``)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


NO_DATASET = Dataset()
"""No protocol dataset: the default graph is the union of all graphs."""


@dataclass
class QueryOutput:
    body: bytes
    media_type: str
    kind: str  # "solutions", "boolean" or "graph"
    rows: int | None = None
    truncated: bool = False
    headers: dict[str, str] = field(default_factory=dict)


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


def jsonld_context(prefixes: dict[str, str]) -> dict[str, object]:
    """The JSON-LD context published at ``/context.jsonld``: one term per prefix."""
    return {"@context": dict(sorted(prefixes.items()))}


def compact_jsonld(expanded: bytes, prefixes: dict[str, str], context_url: str | None) -> bytes:
    """pyoxigraph writes expanded JSON-LD only; compact it against the published context."""
    from pyld import jsonld  # imported lazily: only JSON-LD answers need it

    context = jsonld_context(prefixes)
    document = json.loads(expanded or b"[]")
    compacted: dict[str, object] = jsonld.compact(document, context)
    compacted["@context"] = context_url or context["@context"]
    return json.dumps(compacted, ensure_ascii=False, indent=1).encode("utf-8")


def serialise_graph(
    triples: list[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None, context_url: str | None = None
) -> bytes:
    prefixes = PREFIXES if prefixes is None else prefixes
    rdf_format = RDF_FORMAT_OF[fmt.media_type]
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b""
    if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        return (
            ox.serialize(quads, format=rdf_format, prefixes=prefixes if rdf_format == ox.RdfFormat.TRIG else None)
            or b""
        )
    if rdf_format == ox.RdfFormat.JSON_LD:
        return compact_jsonld(ox.serialize(triples, format=rdf_format) or b"", prefixes, context_url)
    return ox.serialize(triples, format=rdf_format) or b""


def take(iterator: Iterator[T], limit: int | None) -> tuple[list[T], bool]:
    """At most ``limit`` items, and whether there were more (one extra item is read to know)."""
    if limit is None:
        return list(iterator), False
    items = list(itertools.islice(iterator, limit + 1))
    return items[:limit], len(items) > limit


def run_query(
    store: ox.Store,
    query: str,
    results_format: Format | None,
    graph_format: Format | None,
    dataset: Dataset = Dataset(),
    substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
    max_rows: int | None = None,
    prefixes: dict[str, str] | None = None,
    context_url: str | None = None,
    base_iri: str | None = None,
) -> QueryOutput:
    """Evaluate and serialise; raises ``SyntaxError`` for a malformed query, ``NotAcceptable`` for no format.

    At most ``max_rows`` solutions or triples are read; ``truncated`` says when there were more.
    """
    options = query_options(dataset)
    if substitutions:
        query = substitute(query, substitutions)
    if base_iri:
        options["base_iri"] = base_iri
    result = store.query(query, **options)  # type: ignore[arg-type]
    try:
        return serialise_result(result, results_format, graph_format, max_rows, prefixes, context_url)
    except BaseException as error:
        # The traceback holds the result; pyoxigraph results must be freed on this thread.
        del result
        raise error.with_traceback(None) from None


def serialise_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int | None,
    prefixes: dict[str, str] | None,
    context_url: str | None,
) -> QueryOutput:
    if isinstance(result, ox.QueryBoolean):
        if results_format is None:
            raise NotAcceptable(RESULT_FORMATS)
        body = result.serialize(format=RESULTS_FORMAT_OF[results_format.media_type]) or b""
        return QueryOutput(body, results_format.media_type, "boolean", rows=1)
    if isinstance(result, ox.QuerySolutions):
        if results_format is None:
            raise NotAcceptable(RESULT_FORMATS)
        variables = [v.value for v in result.variables]
        solutions, truncated = take(iter(result), max_rows)
        rows = [[solution[v] for v in variables] for solution in solutions]
        body = write_solutions(results_format.media_type, variables, rows, truncated)
        return QueryOutput(body, results_format.media_type, "solutions", rows=len(rows), truncated=truncated)
    if graph_format is None:
        raise NotAcceptable(GRAPH_FORMATS)
    triples, truncated = take(iter(result), max_rows)
    body = serialise_graph(triples, graph_format, prefixes, context_url)
    return QueryOutput(body, graph_format.media_type, "graph", rows=len(triples), truncated=truncated)


def declared_prefixes(paths: list[Path]) -> dict[str, str]:
    """The prefixes the given RDF files declare (the default for Turtle answers when serving them)."""
    from ..project import RDF_FORMATS

    prefixes: dict[str, str] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            fmt = RDF_FORMATS.get(file.suffix)
            if fmt is None:
                continue
            try:
                parser = ox.parse(path=file, format=fmt)
                for _ in parser:
                    pass
                prefixes.update(getattr(parser, "prefixes", {}) or {})
            except (SyntaxError, OSError, ValueError):
                continue
    return prefixes
