"""Run one query against a pyoxigraph store and serialise its answer, in one thread.

pyoxigraph result iterators are bound to the thread that created them (iterating
from another thread aborts the process), so evaluation and serialisation always
happen together inside :func:`execute`. It is also where pyoxigraph's errors become
the engine-neutral ones of :mod:`.errors`, and where a federated query is prepared
(:func:`.federation.prepare`), for every engine that evaluates locally: whoever sent the
query, a Wikidata SERVICE behaves and fails the same way.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Callable, Iterator
from typing import TypeVar

import pyoxigraph as ox

from ..namespaces import PREFIXES
from . import federation, jsonld
from .bindings import substitute
from .dataset import query_options
from .errors import AnswerTooLarge, MalformedQuery, NotAcceptable, QueryFailed, Refused, StoreCorrupted, UpstreamFailed
from .job import QueryJob, QueryOutput
from .negotiation import GRAPH_FORMATS, RDF_FORMAT_OF, RESULT_FORMATS, RESULTS_FORMAT_OF, Format, media_types
from .results import JSON, json_keys, json_row, json_row_size, write_json_rows, write_solutions

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


GZIP_FROM = 1024
"""Answers shorter than this are sent as they are: compressing them costs more than it saves."""


def size_of(item: object) -> int:
    """About the bytes an answer item takes written out: its terms as N-Triples."""
    if isinstance(item, list | tuple):
        return sum(len(str(term)) + 2 for term in item)
    return len(str(item)) + 2


def take(
    iterator: Iterator[T], limit: int | None, max_bytes: int | None = None, measure: Callable[[T], int] = size_of
) -> tuple[list[T], bool]:
    """At most ``limit`` items and about ``max_bytes`` (each item's size by ``measure``: by default
    :func:`size_of`), and whether there were more (one extra item is read to know)."""
    if max_bytes is None:
        if limit is None:
            return list(iterator), False
        items = list(itertools.islice(iterator, limit + 1))
        return items[:limit], len(items) > limit
    kept: list[T] = []
    size = 0
    for item in iterator:
        if limit is not None and len(kept) >= limit:
            return kept, True
        size += measure(item)
        if size > max_bytes:
            return kept, True
        kept.append(item)
    return kept, False


def compressed(output: QueryOutput, wanted: bool) -> QueryOutput:
    """The answer gzip-compressed when the client accepts it and it is long enough to gain."""
    if wanted and len(output.body) >= GZIP_FROM:
        output.body = gzip.compress(output.body, compresslevel=5, mtime=0)
        output.encoding = "gzip"
    return output


STORE_TROUBLE = ("corrupt", "checksum", "io error", "no such file", "rocksdb")


def execute(
    store: ox.Store,
    job: QueryJob,
    max_rows: int | None,
    prefixes: dict[str, str] | None = None,
    base_iri: str | None = None,
    max_bytes: int | None = None,
    known_rows: int | None = None,
) -> QueryOutput:
    """Evaluate ``job`` on ``store`` and serialise at most ``max_rows`` solutions or triples, about ``max_bytes``.

    ``truncated`` says when there were more. ``known_rows``: the job's whole answer is known to have that many
    rows (:class:`~.inline.KnownAnswers`), so a SPARQL JSON answer within the caps is written by Oxigraph's own
    writer (:func:`written_whole`). Raises :class:`~.errors.MalformedQuery`,
    :class:`~.errors.NotAcceptable`, :class:`~.errors.QueryFailed`, :class:`~.errors.StoreCorrupted` or, when
    a SERVICE endpoint fails, :class:`~.errors.UpstreamFailed`.
    """
    options = query_options(job.dataset)
    if base_iri:
        options["base_iri"] = base_iri
    try:
        query = substitute(job.query, dict(job.substitutions)) if job.substitutions else job.query
        query = federation.prepare(query, lambda: mapped_items(store))
        result = store.query(query, **options)  # type: ignore[arg-type]
    except SyntaxError as error:
        raise MalformedQuery(str(error)) from None
    except (ValueError, OSError, RuntimeError) as error:
        raise evaluation_error(job.query, error).with_traceback(None) from None
    try:
        output: QueryOutput | None
        if known_rows is not None and writes_whole(result, job, known_rows, max_rows):
            assert isinstance(result, ox.QuerySolutions)
            output = written_whole(result, known_rows, max_bytes)
        else:
            output = serialise_result(result, job.results_format, job.graph_format, max_rows, prefixes, max_bytes)
    except BaseException as error:
        del result  # the traceback holds it too: drop both here, pyoxigraph results must be freed on this thread
        error = error.with_traceback(None)
        if isinstance(error, ValueError | OSError | RuntimeError):  # lazy: a SERVICE fails while rows are read
            raise evaluation_error(job.query, error) from None
        raise error from None
    del result  # read to its end or cut: freed here, on the thread that made it (not by a later raise's frame)
    if output is None:  # Oxigraph's answer was longer than the byte cap, which the known one was not: row by row
        return execute(store, job, max_rows, prefixes, base_iri, max_bytes)
    if job.whole and output.truncated:
        raise AnswerTooLarge(
            f"the answer is larger than the server's answer cap ({max_bytes} bytes); "
            "ask for less, or read the build with `sdkg push` or a dump"
        )
    return compressed(output, job.gzip)


def evaluation_error(query: str, error: Exception) -> Exception:
    """What a failed evaluation raises: the store's own trouble (:class:`~.errors.StoreCorrupted`), the network
    refused to a sandboxed worker (:class:`~.errors.Refused`), the remote endpoint's failure
    (:class:`~.errors.UpstreamFailed`) when the query has a SERVICE clause or pyoxigraph reports an input or
    output error (its only other one), else :class:`~.errors.QueryFailed` (a bad IRI); any other
    ``RuntimeError`` stays what it is (the server's fault, not the query's)."""
    message = f"{type(error).__name__}: {error}"
    if any(word in message.lower() for word in STORE_TROUBLE):
        return StoreCorrupted(message)
    if isinstance(error, PermissionError):
        return Refused("the query tried to reach the network, which is not allowed here")
    if isinstance(error, OSError | RuntimeError):
        upstream = federation.upstream_failure(query, error)
        if upstream is not None:
            return upstream
    if isinstance(error, OSError):
        return UpstreamFailed(message)
    if isinstance(error, RuntimeError):
        return error
    return QueryFailed(message)


def mapped_items(store: ox.Store) -> list[str]:
    """The Wikidata items the store's graph maps (:data:`.federation.MAPPED_ITEMS`), over all its graphs."""
    solutions = store.query(federation.MAPPED_ITEMS, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return [solution["item"].value for solution in solutions]  # type: ignore[union-attr]


JSON_HEAD_END = b'},"results":{"bindings":['
"""Where Oxigraph's SPARQL JSON writer ends the head: ``"truncated"`` goes before it, as :mod:`.results` writes."""


def writes_whole(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: QueryJob, rows: int, max_rows: int | None
) -> bool:
    """Whether ``result`` is solutions asked in SPARQL JSON, whose ``rows`` rows are within the row cap."""
    return (
        isinstance(result, ox.QuerySolutions)
        and job.results_format is not None
        and job.results_format.media_type == JSON
        and (max_rows is None or rows <= max_rows)
    )


def written_whole(result: ox.QuerySolutions, rows: int, max_bytes: int | None) -> QueryOutput | None:
    """A SELECT answer of ``rows`` rows in SPARQL JSON, written by Oxigraph; ``None`` when it is longer than
    ``max_bytes`` (``result`` is spent then). The same bytes as :func:`serialise_result` writes
    (tests/sparql/test_execute.py holds them to it), at half its cost for a point lookup."""
    body = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
    head_end = body.find(JSON_HEAD_END)
    if head_end < 0 or (max_bytes is not None and len(body) > max_bytes):
        return None
    body = body[: head_end + 1] + b',"truncated":false' + body[head_end + 1 :]  # after the head's closing brace
    return QueryOutput(body, JSON, "solutions", rows=rows)


def serialise_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int | None,
    prefixes: dict[str, str] | None,
    max_bytes: int | None = None,
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
        solutions = (tuple(solution) for solution in result)  # its values in the order of the variables
        if results_format.media_type == JSON:  # most answers: written as they are read, the cap on what is sent
            keys = json_keys(variables)
            written, truncated = take((json_row(keys, s) for s in solutions), max_rows, max_bytes, json_row_size)
            body = write_json_rows(variables, written, truncated)
            return QueryOutput(body, JSON, "solutions", rows=len(written), truncated=truncated)
        rows, truncated = take(solutions, max_rows, max_bytes)
        body = write_solutions(results_format.media_type, variables, rows, truncated)
        return QueryOutput(body, results_format.media_type, "solutions", rows=len(rows), truncated=truncated)
    if graph_format is None:
        raise NotAcceptable(media_types(GRAPH_FORMATS))
    triples, truncated = take(iter(result), max_rows, max_bytes)
    body = serialise_graph(triples, graph_format, prefixes)
    return QueryOutput(body, graph_format.media_type, "graph", rows=len(triples), truncated=truncated)
