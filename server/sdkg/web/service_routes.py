"""What the server says about itself: VoID, the query catalog as SHACL executables, the JSON-LD context,
liveness and metrics. (The service description is ``GET /sparql`` without a query: :mod:`.sparql_routes`.)"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..catalog.rdf import catalog_triples
from ..sparql import jsonld
from ..sparql.negotiation import GRAPH_FORMATS, Format, negotiate
from .errors import NotFound
from .finish import respond_graph
from .service import SELF_PREFIXES, void_description
from .state import state_of

router = APIRouter()


def graph_format(request: Request) -> Format:
    return negotiate(request.headers.get("accept"), GRAPH_FORMATS, request.query_params.get("format"))


@router.get("/.well-known/void", summary="VoID description: counts per class and per property")
async def void(request: Request) -> Response:
    state = state_of(request)
    fmt = graph_format(request)
    described = void_description(str(request.base_url), state.settings.title, await state.stats())
    return await respond_graph(request, described, fmt, {**state.prefixes, **SELF_PREFIXES}, "void")


@router.get("/catalog", summary="The query catalog as SHACL sh:SPARQLExecutable resources")
async def catalog(request: Request) -> Response:
    state = state_of(request)
    triples = catalog_triples(str(request.base_url), state.readable_catalog())
    prefixes = {**state.prefixes, **SELF_PREFIXES}
    return await respond_graph(request, triples, graph_format(request), prefixes, "catalog")


@router.get("/catalog/{name}", summary="One catalog query as a SHACL sh:SPARQLExecutable")
async def catalog_entry(request: Request, name: str) -> Response:
    state = state_of(request)
    base = str(request.base_url)
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


@router.get("/health", summary="Liveness, store size and data version")
async def health(request: Request) -> Response:
    state = state_of(request)
    triples = await run_in_threadpool(state.engine.triple_count)
    return JSONResponse({"status": "ok", "triples": triples, "version": __version__, "data_version": state.version})


@router.get("/metrics", summary="Prometheus metrics: latency, timeouts, truncations, in flight")
async def prometheus(request: Request) -> Response:
    return PlainTextResponse(state_of(request).metrics.render(), media_type="text/plain; version=0.0.4")
