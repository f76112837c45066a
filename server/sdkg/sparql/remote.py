"""An :class:`~sdkg.sparql.engine.Engine` over any SPARQL 1.1 store, through the protocol.

``sdkg serve --store-url URL`` keeps its pages, catalog and guards and sends the queries
to Oxigraph server, Fuseki, Virtuoso, QLever or GraphDB. The store must expose the union
of the build's named graphs as its default graph (``oxigraph serve --union-default-graph``,
Fuseki ``unionDefaultGraph``, Virtuoso's default), like the local engine does;
:meth:`RemoteEngine.check_union_default_graph` says whether it does.

Two Virtuoso 7.2 habits are smoothed over here: it answers ASK with a one-column table
(``__ASK_RETVAL``) instead of a boolean, and it keeps its own graphs (``virtrdf#`` and a
few more) in the store, which :meth:`RemoteEngine.triple_count` leaves out.

Parameters are bound with a ``VALUES`` block (:mod:`sdkg.sparql.bindings`), as the local engine does,
and a federated query is prepared as the local engine prepares it (:mod:`sdkg.sparql.federation`:
``?item`` bound to the items the store maps, the Wikidata endpoints as configured here); when the
store then fails on a query with a SERVICE clause (a 5xx, or an answer cut short), the failure is the
remote endpoint's (502), as it is locally.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from . import federation
from .bindings import substitute
from .dataset import NO_DATASET, Dataset
from .errors import MalformedQuery, NotAcceptable, QueryTimeout, WorkerFailed
from .execute import serialise_graph, take
from .job import EngineConfig, QueryJob, QueryOutput
from .negotiation import GRAPH_FORMATS, RESULT_FORMATS, RESULTS_FORMAT_OF, Format, media_types
from .results import write_solutions
from .tokens import operation

log = logging.getLogger("sdkg.server")
USER_AGENT = "sdkg-remote-engine"
COUNT_TTL = 60.0
ASK_RESULTS = "application/sparql-results+json"
ASK_GRAPH = "application/n-triples"
STORE_GRAPHS = (  # the store's own graphs, not the build's (Virtuoso's quad-map schema, LDP terms, service description)
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)


class RemoteStoreError(WorkerFailed):
    """The store could not answer (unreachable, 5xx, a reply we cannot read); served as 503 like a failed worker."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ the engine


class RemoteEngine:
    """Run queries on a remote SPARQL 1.1 query endpoint (``url``) and answer exactly like the local engine.

    The store is always asked for SPARQL JSON results or N-Triples; the answer is read with
    pyoxigraph and written with the local engine's writers, so formats, prefixes, JSON-LD
    compaction and the row cap are the same whichever engine runs.
    """

    def __init__(self, url: str, config: EngineConfig | None = None):
        self.url = url
        self.config = config or EngineConfig()
        self.limits, self.prefixes, self.base_iri = self.config.limits, self.config.prefixes, self.config.base_iri
        self.client = httpx.AsyncClient(timeout=self.limits.timeout, headers={"User-Agent": USER_AGENT})
        self._count: tuple[float, int] | None = None

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        return None  # (every query is a request to the remote store)

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        """Evaluate remotely within the limits; raises the engine-neutral errors of :mod:`.errors`."""
        admission = self.limits.admit(job)
        seconds, rows = admission.seconds, admission.max_rows
        if arrived is not None:
            seconds = max(0.01, arrived + seconds - time.monotonic())
        query = job.query
        form = operation(query)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        if graph and job.graph_format is None:
            raise NotAcceptable(media_types(GRAPH_FORMATS))
        if form in ("SELECT", "ASK") and job.results_format is None:
            raise NotAcceptable(media_types(RESULT_FORMATS))
        if job.substitutions:
            try:
                query = substitute(query, dict(job.substitutions))
            except SyntaxError as error:
                raise MalformedQuery(str(error)) from None
        if federation.is_federated(query):
            items = await self.mapped_items(seconds)
            query = federation.prepare(query, lambda: items)
        if self.base_iri:
            query = f"BASE <{ox.NamedNode(self.base_iri).value}>\n{query}"
        try:
            response = await self._post(query, ASK_GRAPH if graph else ASK_RESULTS, job.dataset, seconds)
            return await run_in_threadpool(
                read_answer, response, job.results_format, job.graph_format, rows, self.prefixes, form == "ASK"
            )
        except RemoteStoreError as error:
            # A store that fails a SERVICE answers 5xx, or (Oxigraph, streaming) cuts its 200 answer short.
            upstream = federation.upstream_failure(job.query, error) if (error.status or 500) >= 500 else None
            if upstream is None:
                raise
            raise upstream from None

    async def mapped_items(self, seconds: float) -> list[str]:
        """The Wikidata items the store's graph maps (what a federated query's ``?item`` is bound to)."""
        response = await self._post(federation.MAPPED_ITEMS, ASK_RESULTS, NO_DATASET, seconds)
        try:
            bindings = json.loads(response.content)["results"]["bindings"]
            return [b["item"]["value"] for b in bindings if "item" in b]
        except (ValueError, KeyError, TypeError) as error:
            raise RemoteStoreError(f"cannot read the store's answer: {error}") from None

    async def start(self) -> None:
        """Say so at start-up when the store does not expose its named graphs as its default graph."""
        await warn_unless_union_default_graph(self)

    async def stop(self) -> None:
        await self.client.aclose()

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        raise NotImplementedError("a remote store is loaded with `sdkg push`, not switched by the server")

    def close(self) -> None:
        pass  # the HTTP client's connections go with it; stop() closes them politely

    async def _post(self, query: str, accept: str, dataset: Dataset, deadline: float) -> httpx.Response:
        form: dict[str, str | list[str]] = {"query": query}
        if dataset.default_graphs:
            form["default-graph-uri"] = list(dataset.default_graphs)
        if dataset.named_graphs:
            form["named-graph-uri"] = list(dataset.named_graphs)
        try:
            response = await self.client.post(self.url, data=form, headers={"Accept": accept}, timeout=deadline)
        except httpx.TimeoutException:
            raise QueryTimeout(deadline) from None
        except httpx.HTTPError as error:
            raise RemoteStoreError(f"cannot reach the store at {self.url}: {error}") from None
        check_status(response, self.url, deadline)
        return response

    def triple_count(self) -> int:
        """Quads in the store's named graphs (what a pushed build holds), not its own; cached for a minute."""
        now = time.monotonic()
        if self._count is not None and now - self._count[0] < COUNT_TTL:
            return self._count[1]
        own = ", ".join(f"<{g}>" for g in STORE_GRAPHS)
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({own})) }}"
        try:
            response = httpx.post(
                self.url,
                data={"query": query},
                headers={"Accept": ASK_RESULTS, "User-Agent": USER_AGENT},
                timeout=self.limits.timeout,
            )
        except httpx.HTTPError as error:
            raise RemoteStoreError(f"cannot reach the store at {self.url}: {error}") from None
        check_status(response, self.url, self.limits.timeout)
        bindings = json.loads(response.content)["results"]["bindings"]
        count = int(bindings[0]["n"]["value"]) if bindings else 0
        self._count = (now, count)
        return count

    async def check_union_default_graph(self) -> bool:
        """Whether a triple of some named graph is also in the default graph (what the pages and catalog expect)."""
        output = await self.run(
            QueryJob.select(
                "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } } LIMIT 1"
            )
        )
        rows: list[dict[str, Any]] = json.loads(output.body)["results"]["bindings"]
        if not rows or any(b["type"] == "bnode" for b in rows[0].values()):
            return True  # no triple without blank nodes (which cannot be sent back): nothing to compare
        terms = {k: term_of(v) for k, v in rows[0].items()}
        answer = await self.run(QueryJob.select("ASK { ?s ?p ?o }", terms))
        return bool(json.loads(answer.body)["boolean"])


async def warn_unless_union_default_graph(engine: RemoteEngine) -> None:
    """Pages and the catalog read the default graph as the union of all graphs; say so when a store does not."""
    try:
        union = await engine.check_union_default_graph()
    except Exception as exc:  # the store may be down at start; queries will report it
        log.warning("cannot reach %s at start-up: %s", engine.url, exc)
        return
    if not union:
        log.warning(
            "%s does not expose its named graphs in the default graph; configure it to (e.g. oxigraph serve "
            "--union-default-graph), or pages and canned queries will find nothing",
            engine.url,
        )


def read_answer(
    response: httpx.Response,
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int | None,
    prefixes: dict[str, str] | None,
    ask: bool = False,
) -> QueryOutput:
    """Read the store's answer and write it as the local engine would (in one thread: pyoxigraph results are bound)."""
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in ("application/n-triples", "text/plain", "text/turtle", "application/n-quads"):
        if graph_format is None:
            raise NotAcceptable(media_types(GRAPH_FORMATS))
        rdf_format = ox.RdfFormat.TURTLE if media == "text/turtle" else ox.RdfFormat.N_QUADS
        triples, truncated = read_triples(response.content, rdf_format, max_rows, media)
        body = serialise_graph(triples, graph_format, prefixes)
        return QueryOutput(body, graph_format.media_type, "graph", rows=len(triples), truncated=truncated)
    if media not in ("application/sparql-results+json", "application/json"):
        raise RemoteStoreError(f"the store answered with {media or 'no content type'}, not JSON results or N-Triples")
    if results_format is None:
        raise NotAcceptable(media_types(RESULT_FORMATS))
    content = boolean_of_table(response.content) if ask else response.content
    table = read_table(valid_blank_nodes(content), max_rows, media, RESULTS_FORMAT_OF[results_format.media_type])
    if isinstance(table, bytes):  # a boolean, already written
        return QueryOutput(table, results_format.media_type, "boolean", rows=1)
    variables, rows, truncated = table
    body = write_solutions(results_format.media_type, variables, rows, truncated)
    return QueryOutput(body, results_format.media_type, "solutions", rows=len(rows), truncated=truncated)


Row = list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]


def read_triples(content: bytes, rdf_format: ox.RdfFormat, max_rows: int | None, media: str) -> tuple[list[Any], bool]:
    """The answer's triples; a malformed answer is a :class:`RemoteStoreError` (the parser is dropped here first,
    since pyoxigraph objects must die in the thread that made them)."""
    try:
        return take(
            (ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(content, format=rdf_format)), max_rows
        )
    except SyntaxError as error:
        message = str(error)
    raise RemoteStoreError(f"cannot read the store's answer ({media}): {message}")


def read_table(
    content: bytes, max_rows: int | None, media: str, boolean_format: ox.QueryResultsFormat
) -> bytes | tuple[list[str], list[Row], bool]:
    """Variables, rows and truncation of a JSON results answer, or a boolean answer written in ``boolean_format``."""
    message = ""
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | None = None
    try:
        result = ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QueryBoolean):
            return result.serialize(format=boolean_format) or b""
        assert isinstance(result, ox.QuerySolutions)
        variables = [v.value for v in result.variables]
        solutions, truncated = take(iter(result), max_rows)
        return variables, [[solution[v] for v in variables] for solution in solutions], truncated
    except SyntaxError as error:
        message = str(error)
    finally:
        del result  # here, not in the event loop's thread, where a traceback would drop it
    raise RemoteStoreError(f"cannot read the store's answer ({media}): {message}")


def valid_blank_nodes(content: bytes) -> bytes:
    """The answer with blank node labels pyoxigraph accepts: Virtuoso writes ``nodeID://b10006``, which is not one.

    Each label is renumbered within the answer, so equal labels stay equal and different ones different.
    """
    if b'"bnode"' not in content:
        return content
    try:
        document = json.loads(content)
        rows = document["results"]["bindings"]
    except (ValueError, KeyError, TypeError):
        return content  # not the shape we know: the parser says what is wrong
    labels: dict[str, str] = {}
    for row in rows:
        for binding in row.values():
            if isinstance(binding, dict) and binding.get("type") == "bnode":
                binding["value"] = labels.setdefault(str(binding.get("value")), f"b{len(labels)}")
    return json.dumps(document).encode()


def boolean_of_table(content: bytes) -> bytes:
    """An ASK answer as SPARQL JSON's boolean; Virtuoso 7.2 sends a table instead (one row holding 1 when true,
    no row when false)."""
    try:
        document = json.loads(content)
    except ValueError:
        return content  # not JSON: the parser says so
    if not isinstance(document, dict) or "boolean" in document or "results" not in document:
        return content
    rows = document["results"].get("bindings", [])
    truth = any(b.get("value") not in ("0", "false") for row in rows for b in row.values())
    return json.dumps({"head": {}, "boolean": truth}).encode()


def check_status(response: httpx.Response, url: str, deadline: float) -> None:
    """Map the store's status to the engine-neutral errors: 400 → ``MalformedQuery``, 5xx → ``RemoteStoreError``."""
    if response.status_code < 300:
        return
    message = response.text.strip()[:500] or response.reason_phrase
    if response.status_code in (400, 422):
        raise MalformedQuery(message)
    if response.status_code in (408, 504):
        raise QueryTimeout(deadline)
    raise RemoteStoreError(f"the store at {url} answered {response.status_code}: {message}", response.status_code)


def term_of(binding: dict[str, str]) -> ox.NamedNode | ox.Literal:
    """A SPARQL JSON binding as a pyoxigraph term (blank nodes cannot be sent back, so they are refused)."""
    if binding["type"] == "uri":
        return ox.NamedNode(binding["value"])
    if binding["type"] in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return ox.Literal(binding["value"], language=binding["xml:lang"])
        if "datatype" in binding:
            return ox.Literal(binding["value"], datatype=ox.NamedNode(binding["datatype"]))
        return ox.Literal(binding["value"])
    raise ValueError(f"cannot use a {binding['type']} as a parameter")
