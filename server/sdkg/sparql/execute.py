"""Run one query against a pyoxigraph store and serialise its answer, in one thread.

pyoxigraph result iterators are bound to the thread that created them (iterating
from another thread aborts the process), so evaluation and serialisation always
happen together inside :func:`execute`. It is also where pyoxigraph's errors become
the engine-neutral ones of :mod:`.errors`, for every engine that evaluates locally.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TypeVar

import pyoxigraph as ox

from ..namespaces import PREFIXES
from . import jsonld
from .bindings import substitute
from .dataset import query_options
from .errors import MalformedQuery, NotAcceptable, QueryFailed
from .job import QueryJob, QueryOutput
from .negotiation import GRAPH_FORMATS, RDF_FORMAT_OF, RESULT_FORMATS, RESULTS_FORMAT_OF, Format, media_types
from .results import write_solutions

T = TypeVar("T")


def serialise_graph(triples: list[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in ``fmt``; Turtle, RDF/XML and TriG with the prefixes, JSON-LD compacted with them."""
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
        return jsonld.compact_document(ox.serialize(triples, format=rdf_format) or b"", prefixes)
    return ox.serialize(triples, format=rdf_format) or b""


def take(iterator: Iterator[T], limit: int | None) -> tuple[list[T], bool]:
    """At most ``limit`` items, and whether there were more (one extra item is read to know)."""
    if limit is None:
        return list(iterator), False
    items = list(itertools.islice(iterator, limit + 1))
    return items[:limit], len(items) > limit


def execute(
    store: ox.Store,
    job: QueryJob,
    max_rows: int | None,
    prefixes: dict[str, str] | None = None,
    base_iri: str | None = None,
) -> QueryOutput:
    """Evaluate ``job`` on ``store`` and serialise at most ``max_rows`` solutions or triples.

    ``truncated`` says when there were more. Raises :class:`~.errors.MalformedQuery`,
    :class:`~.errors.NotAcceptable` or :class:`~.errors.QueryFailed`.
    """
    options = query_options(job.dataset)
    if base_iri:
        options["base_iri"] = base_iri
    try:
        query = substitute(job.query, dict(job.substitutions)) if job.substitutions else job.query
        result = store.query(query, **options)  # type: ignore[arg-type]
    except SyntaxError as error:
        raise MalformedQuery(str(error)) from None
    except (ValueError, OSError) as error:
        raise QueryFailed(f"{type(error).__name__}: {error}") from None
    try:
        return serialise_result(result, job.results_format, job.graph_format, max_rows, prefixes)
    except BaseException as error:
        del result  # the traceback holds it too: drop both here, pyoxigraph results must be freed on this thread
        error = error.with_traceback(None)
        if isinstance(error, ValueError | OSError):  # evaluation is lazy: a SERVICE fails while rows are read
            raise QueryFailed(f"{type(error).__name__}: {error}") from None
        raise error from None


def serialise_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int | None,
    prefixes: dict[str, str] | None,
) -> QueryOutput:
    if isinstance(result, ox.QueryBoolean):
        if results_format is None:
            raise NotAcceptable(media_types(RESULT_FORMATS))
        body = result.serialize(format=RESULTS_FORMAT_OF[results_format.media_type]) or b""
        return QueryOutput(body, results_format.media_type, "boolean", rows=1)
    if isinstance(result, ox.QuerySolutions):
        if results_format is None:
            raise NotAcceptable(media_types(RESULT_FORMATS))
        variables = [v.value for v in result.variables]
        solutions, truncated = take(iter(result), max_rows)
        rows = [[solution[v] for v in variables] for solution in solutions]
        body = write_solutions(results_format.media_type, variables, rows, truncated)
        return QueryOutput(body, results_format.media_type, "solutions", rows=len(rows), truncated=truncated)
    if graph_format is None:
        raise NotAcceptable(media_types(GRAPH_FORMATS))
    triples, truncated = take(iter(result), max_rows)
    body = serialise_graph(triples, graph_format, prefixes)
    return QueryOutput(body, graph_format.media_type, "graph", rows=len(triples), truncated=truncated)
