"""The FastAPI application: a SPARQL 1.1 endpoint over the published store.

Read-only unless an admin token is configured. Queries run in worker processes
with a hard time limit (:class:`~sdkg.sparql.workers.WorkerEngine`), answers are
capped at ``max_rows`` and say so, SERVICE/LOAD only reach allow-listed endpoints.
"""

from __future__ import annotations

import asyncio
import atexit
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..build.changes import Change, ChangeRefused, InvalidChange, NoSuchGraph, commit, sparql_update
from ..catalog import CannedQuery, read_catalog
from ..catalog_rdf import catalog_triples
from ..layout import ProjectLayout
from ..namespaces import PREFIXES
from ..project import ProjectError
from ..sparql import jsonld
from ..sparql.caching import data_version, etag, http_date, not_modified
from ..sparql.engine import Engine, LocalEngine
from ..sparql.errors import (
    EngineBusy,
    MalformedQuery,
    NotAcceptable,
    QueryFailed,
    QueryTimeout,
    Refused,
    Unverifiable,
    WorkerFailed,
)
from ..sparql.execute import serialise_graph
from ..sparql.guard import WIKIDATA_SERVICES, admit
from ..sparql.job import Dataset, Limits, QueryJob, QueryOutput
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, media_types, negotiate
from ..sparql.protocol import ProtocolError, QueryRequest, parse_get, parse_post, with_using
from ..sparql.remote import RemoteEngine
from ..sparql.tokens import is_update
from ..sparql.workers import WorkerEngine
from . import canned, pages, ui
from .metrics import Metrics
from .service import SELF_PREFIXES, Stats, gather_stats, service_description, void_description
from .store_protocol import store_router

logger = logging.getLogger("sdkg.server")

TRUNCATED = "X-SDKG-Truncated"
ROW_LIMIT = "X-SDKG-Row-Limit"
QUERY_PARAMETERS: list[dict[str, Any]] = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}},
    {
        "name": "default-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    {
        "name": "named-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "timeout", "in": "query", "required": False, "schema": {"type": "number"}},
]
QUERY_BODY = {
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "update": {"type": "string"},
                    "default-graph-uri": {"type": "string"},
                    "named-graph-uri": {"type": "string"},
                    "format": {"type": "string"},
                    "timeout": {"type": "number"},
                },
            }
        },
        "application/sparql-query": {"schema": {"type": "string"}},
        "application/sparql-update": {"schema": {"type": "string"}},
    }
}


@dataclass
class Settings:
    """What the server publishes and how: a built store and, when serving a project, its root
    (for the query catalog, the ontology documentation and the shapes)."""

    store_path: Path
    root: Path | None = None
    title: str = "SDKG: the Security Discourse Knowledge Graph"
    timeout: float = 10.0
    """Hard query time limit in seconds; a request's ``timeout`` parameter may only lower it."""
    max_rows: int | None = 10_000
    """Most solutions (or triples) in one answer; more are cut and the answer says so."""
    admin_token: str | None = None
    """When set, SPARQL Update and Graph Store writes are allowed with ``Authorization: Bearer <token>``."""
    allowed_services: dict[str, float] = field(default_factory=lambda: dict(WIKIDATA_SERVICES))
    """SERVICE/LOAD endpoints that may be reached, with each one's time limit in seconds."""
    max_request_bytes: int = 1_000_000
    workers: int | None = None
    """Query worker processes (default: 2 to 4, by CPU count)."""
    engine: str = "workers"
    """``workers`` (hard timeout) or ``local`` (in-process threads, no hard timeout)."""
    prefixes: dict[str, str] | None = None
    """Prefixes for Turtle and JSON-LD answers (default: the project's)."""
    store_url: str | None = None
    """Query this SPARQL 1.1 endpoint instead of the local store (``store_path`` still names the
    local build that was pushed there, for the data version)."""
    public_url: str = "http://127.0.0.1:8000/"
    """Where the server answers (``sdkg serve`` sets it from ``--host`` and ``--port``); queries and updates
    resolve relative IRIs against ``{public_url}sparql``, the service's IRI."""

    @property
    def base_iri(self) -> str:
        return self.public_url + "sparql"

    @property
    def limits(self) -> Limits:
        return Limits(self.timeout, self.max_rows, self.allowed_services)


def error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def make_engine(settings: Settings) -> Engine:
    prefixes = settings.prefixes if settings.prefixes is not None else PREFIXES
    if settings.store_url:
        return RemoteEngine(settings.store_url, settings.limits, prefixes, settings.base_iri)
    if settings.engine == "local":
        return LocalEngine(settings.store_path, settings.limits, prefixes, settings.base_iri)
    return WorkerEngine(settings.store_path, settings.limits, prefixes, settings.base_iri, settings.workers)


class BodyLimit:
    """Answer 413 to requests whose body (or query string) is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"0")
        too_long = len(scope.get("query_string", b"")) > self.max_bytes
        if too_long or (length.isdigit() and int(length) > self.max_bytes):
            await self.refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise TooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except TooLarge:
            if not started:
                await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error(413, f"request too large: the limit is {self.max_bytes} bytes")
        await response(scope, receive, send)


class TooLarge(Exception):
    pass


def create_app(settings: Settings) -> FastAPI:
    """Serve the store at ``settings.store_path``."""
    engine = make_engine(settings)
    atexit.register(lambda: getattr(engine, "close", lambda: None)())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await app.state.engine.start()
        yield
        await app.state.engine.stop()

    app = FastAPI(title=settings.title, version=__version__, lifespan=lifespan)
    app.state.engine = engine
    app.state.settings = settings
    app.state.metrics = metrics = Metrics()
    app.state.store_path = settings.store_path
    app.state.version = data_version(settings.store_path)
    app.state.stats = {}
    write_lock = asyncio.Lock()
    prefixes = settings.prefixes if settings.prefixes is not None else PREFIXES

    def formats_for(request: Request, fmt: str | None) -> tuple[Format | None, Format | None]:
        accept = request.headers.get("accept")
        results: Format | None
        graph: Format | None
        try:
            results = negotiate(accept, RESULT_FORMATS, fmt)
        except NotAcceptable:
            results = None
        try:
            graph = negotiate(accept, GRAPH_FORMATS, fmt)
        except NotAcceptable:
            graph = None
        return results, graph

    def not_acceptable(offered: tuple[str, ...] | list[str]) -> JSONResponse:
        types = list(offered or media_types(RESULT_FORMATS + GRAPH_FORMATS))
        return error(406, "Not Acceptable: supported types are " + ", ".join(types), supported=types)

    def validators(request: Request, *parts: object) -> tuple[str, dict[str, str]]:
        version, modified = app.state.version
        tag = etag(version, *parts)
        return tag, {"ETag": tag, "Last-Modified": http_date(modified), "Cache-Control": "no-cache"}

    def finish(request: Request, body: bytes, media_type: str, headers: dict[str, str]) -> Response:
        headers = {"Vary": "Accept", **headers}
        if media_type == "application/ld+json":  # refer to the published context rather than inline it
            body = jsonld.with_context_url(body, prefixes, str(request.base_url) + "context.jsonld")
        if request.method == "HEAD":
            return Response(b"", media_type=media_type, headers={**headers, "Content-Length": str(len(body))})
        return Response(body, media_type=media_type, headers=headers)

    async def run_query(request: Request, parsed: QueryRequest, query: str) -> Response:
        results, graph = formats_for(request, parsed.format)
        if results is None and graph is None:
            return not_acceptable([])
        job = QueryJob(query, results, graph, parsed.dataset, timeout=parsed.timeout)
        tag, headers = validators(request, job, str(request.base_url))
        if request.method in ("GET", "HEAD") and not_modified(dict(request.headers), tag, app.state.version[1]):
            return Response(status_code=304, headers=headers)
        started = metrics.begin()
        status, output = 500, None
        try:
            output = await app.state.engine.run(job)
            status = 200
        except MalformedQuery as exc:
            if is_update(query) and settings.admin_token is None:
                status = 403
                return error(403, "this endpoint is read-only: SPARQL updates are not allowed")
            if is_update(query):
                status = 400
                return error(400, "an update is sent with POST, as 'update' or application/sparql-update")
            status = 400
            return error(400, f"malformed query: {exc}")
        except NotAcceptable as exc:
            status = 406
            return not_acceptable(exc.offered)
        except Refused as exc:
            status = 400 if isinstance(exc, Unverifiable) else 403
            return error(status, str(exc))
        except QueryTimeout as exc:
            status = 504
            return error(504, f"query timed out: {exc}", timeout=exc.seconds)
        except EngineBusy as exc:
            status = 503
            return JSONResponse({"error": str(exc), "status": 503}, status_code=503, headers={"Retry-After": "1"})
        except WorkerFailed as exc:
            status = 503
            return error(503, str(exc))
        except QueryFailed as exc:
            status = 400
            return error(400, f"query failed: {exc}")
        finally:
            rows = output.rows if output else None
            metrics.end(
                started, status, rows, bool(output and output.truncated), output.kind if output else None, query
            )
        assert output is not None
        return finish(request, output.body, output.media_type, {**headers, **truncation_headers(output)})

    def truncation_headers(output: QueryOutput) -> dict[str, str]:
        if output.kind == "boolean":
            return {}
        extra = {TRUNCATED: "true" if output.truncated else "false"}
        if settings.max_rows is not None:
            extra[ROW_LIMIT] = str(settings.max_rows)
        return extra

    def authorize(request: Request) -> Response | None:
        """``None`` when the request may write; else the refusal."""
        if settings.admin_token is None:
            return error(403, "this endpoint is read-only: updates and Graph Store writes are not allowed")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            response = error(401, "writing needs 'Authorization: Bearer <admin token>'")
            response.headers["WWW-Authenticate"] = 'Bearer realm="sdkg"'
            return response
        if not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
            return error(403, "wrong admin token")
        return None

    async def write(request: Request, change: Change) -> Response:
        """Apply an admin change all or nothing; switch the engine to the new store."""
        refused = authorize(request)
        if refused is not None:
            return refused
        async with write_lock:
            layout = ProjectLayout.at(settings.root) if settings.root is not None else None
            try:
                new_path = await run_in_threadpool(commit, app.state.store_path, change, layout)
            except ChangeRefused as exc:
                return error(422, str(exc), report=json.loads(exc.report.json()))
            except InvalidChange as exc:
                return error(400, str(exc))
            except NoSuchGraph as exc:
                return error(404, str(exc))
            except ProjectError as exc:
                return error(500, f"cannot read the project: {exc}")
            await run_in_threadpool(app.state.engine.swap, new_path)
            app.state.store_path = new_path
            app.state.version = data_version(new_path)
        return JSONResponse({"status": 200, "version": app.state.version[0]})

    async def run_update(request: Request, parsed: QueryRequest, update: str) -> Response:
        refused = authorize(request)
        if refused is not None:
            return refused
        try:
            admit(update, settings.allowed_services, update=True)
            text = with_using(update, parsed.dataset)
        except Refused as exc:
            return error(400 if isinstance(exc, Unverifiable) else 403, str(exc))
        except ProtocolError as exc:
            return error(exc.status, exc.message)
        except ValueError as exc:
            return error(400, f"bad using-graph-uri: {exc}")
        return await write(request, sparql_update(text, base_iri=settings.base_iri))

    async def answer(request: Request, parsed: QueryRequest) -> Response:
        if parsed.update is not None:
            if request.method != "POST":
                return error(400, "updates must be sent with POST")
            return await run_update(request, parsed, parsed.update)
        if parsed.query is None:
            return error(400, "missing 'query' parameter")
        return await run_query(request, parsed, parsed.query)

    async def graph_answer(request: Request, triples: list[ox.Triple], *key: object) -> Response:
        try:
            fmt = negotiate(request.headers.get("accept"), GRAPH_FORMATS, request.query_params.get("format"))
        except NotAcceptable as exc:
            return not_acceptable(exc.offered)
        described = {**prefixes, **SELF_PREFIXES}
        tag, headers = validators(request, fmt, str(request.base_url), *key)
        if not_modified(dict(request.headers), tag, app.state.version[1]):
            return Response(status_code=304, headers=headers)
        body = await run_in_threadpool(serialise_graph, triples, fmt, described)
        if fmt.media_type == "application/ld+json":
            body = jsonld.with_context_url(body, described, str(request.base_url) + "context.jsonld")
        return finish(request, body, fmt.media_type, headers)

    def served_catalog() -> dict[str, CannedQuery]:
        return read_catalog(ProjectLayout.at(settings.root).queries) if settings.root is not None else {}

    async def stats() -> Stats:
        version = app.state.version[0]
        if version not in app.state.stats:
            app.state.stats = {version: await gather_stats(app.state.engine)}
        cached: Stats = app.state.stats[version]
        return cached

    @app.get(
        "/sparql",
        summary="SPARQL 1.1 query (GET); without a query: the service description",
        openapi_extra={"parameters": QUERY_PARAMETERS},
    )
    async def sparql_get(request: Request) -> Response:
        try:
            parsed = parse_get(request.url.query)
        except ProtocolError as exc:
            return error(exc.status, exc.message)
        if parsed.query is None and parsed.update is None:
            base = str(request.base_url)
            try:
                description = service_description(
                    base, await stats(), settings.admin_token is not None, catalog_triples(base, served_catalog())
                )
            except (QueryTimeout, EngineBusy, WorkerFailed) as exc:
                return error(503, f"cannot describe the service now: {exc}")
            return await graph_answer(request, description, "service-description")
        return await answer(request, parsed)

    app.add_api_route("/sparql", sparql_get, methods=["HEAD"], include_in_schema=False)

    @app.post(
        "/sparql",
        summary="SPARQL 1.1 query or update (POST form-encoded, application/sparql-query or application/sparql-update)",
        openapi_extra={"parameters": QUERY_PARAMETERS[1:], "requestBody": QUERY_BODY},
    )
    async def sparql_post(request: Request) -> Response:
        try:
            parsed = parse_post(request.headers.get("content-type"), await request.body(), request.url.query)
        except ProtocolError as exc:
            if exc.status == 415:
                supported = [
                    "application/x-www-form-urlencoded",
                    "application/sparql-query",
                    "application/sparql-update",
                ]
                return error(415, exc.message, supported=supported)
            return error(exc.status, exc.message)
        return await answer(request, parsed)

    async def read_graph(request: Request, graph: ox.NamedNode | None) -> Response:
        if graph is None:
            parsed = QueryRequest(
                "CONSTRUCT WHERE { ?s ?p ?o }", None, Dataset(), request.query_params.get("format"), None
            )
        else:
            try:
                named = await app.state.engine.run(
                    QueryJob("ASK { GRAPH ?g { ?s ?p ?o } }", RESULT_FORMATS[0], dataset=Dataset((), (graph.value,)))
                )
            except (QueryTimeout, EngineBusy, WorkerFailed) as exc:
                return error(503, f"cannot read the graph now: {exc}")
            if not json.loads(named.body).get("boolean"):
                return error(404, f"no graph <{graph.value}>")
            dataset = Dataset((graph.value,), ())
            parsed = QueryRequest(
                "CONSTRUCT WHERE { ?s ?p ?o }", None, dataset, request.query_params.get("format"), None
            )
        assert parsed.query is not None
        return await run_query(request, parsed, parsed.query)

    app.include_router(store_router(read_graph, write, error, authorize))

    @app.get("/.well-known/void", summary="VoID description: counts per class and per property")
    async def void(request: Request) -> Response:
        try:
            counts = await stats()
        except (QueryTimeout, EngineBusy, WorkerFailed) as exc:
            return error(503, f"cannot describe the dataset now: {exc}")
        return await graph_answer(request, void_description(str(request.base_url), settings.title, counts), "void")

    @app.get("/catalog", summary="The query catalog as SHACL sh:SPARQLExecutable resources")
    async def catalog(request: Request) -> Response:
        return await graph_answer(request, catalog_triples(str(request.base_url), served_catalog()), "catalog")

    @app.get("/catalog/{name}", summary="One catalog query as a SHACL sh:SPARQLExecutable")
    async def catalog_entry(request: Request, name: str) -> Response:
        base = str(request.base_url)
        subject = f"{base}catalog/{name}"
        triples = [
            t
            for t in catalog_triples(base, served_catalog())
            if getattr(t.subject, "value", "").startswith(subject + "#")
            or getattr(t.subject, "value", "") == subject
            or isinstance(t.subject, ox.BlankNode)
            and t.subject.value.startswith(f"{name}-")
        ]
        if not triples:
            return error(404, f"no catalog query named {name!r}")
        return await graph_answer(request, triples, "catalog", name)

    @app.get("/context.jsonld", summary="The JSON-LD context of JSON-LD answers")
    async def context() -> Response:
        return JSONResponse(jsonld.context(prefixes), media_type="application/ld+json")

    @app.get("/health", summary="Liveness, store size and data version")
    async def health() -> Response:
        try:
            triples = await run_in_threadpool(app.state.engine.triple_count)
        except EngineBusy as exc:
            return error(503, f"not ready: {exc}")
        return JSONResponse(
            {"status": "ok", "triples": triples, "version": __version__, "data_version": app.state.version[0]}
        )

    @app.get("/metrics", summary="Prometheus metrics: latency, timeouts, truncations, in flight")
    async def prometheus() -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Last-Modified", TRUNCATED, ROW_LIMIT, "Content-Length"],
    )
    app.include_router(pages.router)
    app.include_router(ui.router)
    app.include_router(canned.router)
    return app
