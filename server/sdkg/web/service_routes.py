"""What the server says about itself: VoID, the query catalog as SHACL executables, the JSON-LD context,
liveness and metrics. (The service description is ``GET /sparql`` without a query: :mod:`.sparql_routes`.)"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from .. import __version__
from ..catalog.rdf import catalog_triples
from ..sparql import jsonld
from ..sparql.engine import ask
from ..sparql.errors import QueryError
from ..sparql.negotiation import GRAPH_FORMATS, Format, negotiate
from .errors import NotFound, as_http
from .finish import respond_graph
from .service import SELF_PREFIXES, void_description
from .state import state_of

router = APIRouter()
DEEP_CHECK = "ASK { ?s ?p ?o }"
DEEP_SECONDS = 2.0


def graph_format(request: Request) -> Format:
    return negotiate(request.headers.get("accept"), GRAPH_FORMATS, request.query_params.get("format"))


@router.get("/.well-known/void", summary="VoID description: counts per class and per property")
async def void(request: Request) -> Response:
    state = state_of(request)
    fmt = graph_format(request)
    described = void_description(state.settings.public_url, state.settings.title, await state.stats())
    return await respond_graph(request, described, fmt, {**state.prefixes, **SELF_PREFIXES}, "void")


@router.get("/catalog", summary="The query catalog as SHACL sh:SPARQLExecutable resources")
async def catalog(request: Request) -> Response:
    state = state_of(request)
    triples = catalog_triples(state.settings.public_url, state.readable_catalog())
    prefixes = {**state.prefixes, **SELF_PREFIXES}
    return await respond_graph(request, triples, graph_format(request), prefixes, "catalog")


@router.get("/catalog/{name}", summary="One catalog query as a SHACL sh:SPARQLExecutable")
async def catalog_entry(request: Request, name: str) -> Response:
    state = state_of(request)
    base = state.settings.public_url
    subject = f"{base}catalog/{name}"
    triples = [
        t
        for t in catalog_triples(base, state.readable_catalog())
        if getattr(t.subject, "value", "").startswith(subject + "#")
        or getattr(t.subject, "value", "") == subject
        or isinstance(t.subject, ox.BlankNode)
        and t.subject.value.startswith(f"{name}-")
    ]
    if not triples:
        raise NotFound(f"no catalog query named {name!r}")
    prefixes = {**state.prefixes, **SELF_PREFIXES}
    return await respond_graph(request, triples, graph_format(request), prefixes, "catalog", name)


@router.get("/context.jsonld", summary="The JSON-LD context of JSON-LD answers")
async def jsonld_context(request: Request) -> Response:
    return JSONResponse(jsonld.context(state_of(request).prefixes), media_type="application/ld+json")


@router.get("/health", summary="Health (503 when workers cannot start or the store failed a check); ?deep=1 queries")
async def health(request: Request) -> Response:
    state = state_of(request)
    problem = state.health
    if problem is None and request.query_params.get("deep") not in (None, "", "0", "false"):
        try:
            await ask(state.engine, DEEP_CHECK, timeout=DEEP_SECONDS)
        except QueryError as error:
            problem = f"the check query failed: {as_http(error).message}"
    body: dict[str, object] = {"status": "ok" if problem is None else "unavailable", "version": __version__}
    body["data_version"] = state.version
    if problem is not None:
        body["problem"] = problem
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    try:
        body["triples"] = state.engine.triple_count()
    except QueryError:
        body["triples"] = None
    workers = state.worker_engine
    if workers is not None:
        body["workers"] = workers.workers()
    body["process"] = {"slot": state.settings.process_slot, "of": state.settings.processes}
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics: latency, timeouts, truncations, in flight")
async def prometheus(request: Request) -> Response:
    return PlainTextResponse(state_of(request).metrics.render(), media_type="text/plain; version=0.0.4")
