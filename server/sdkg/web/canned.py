"""Canned queries: each catalog query answered at ``/queries/{name}.json`` and ``.csv`` (``.rq`` for its text).

The catalog is configuration (Datasette's model): read once per served build
(:meth:`.state.ServerState.catalog`). Parameters come from the query string and are bound
as a ``VALUES`` block of terms that pyoxigraph serialises (escaped and validated, never
pasted from the request): unlike pyoxigraph's ``substitutions``, which the optimiser plans
as if the variable were unbound (a 3.8M-triple store: 14 s instead of 0.2 s for
``actors-with-wikidata``), the planner sees the values and starts from them. A parameter
the query does not declare is a 400. Federated queries (Wikidata SERVICE clauses) are
prepared by :func:`sdkg.sparql.federation.prepare` first: their endpoints mapped to the
configured ones and ``?item`` bound to our QIDs.

An answer is finished like the endpoint's (:func:`.finish.respond`: validators, the row
cap's headers, metrics).
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..catalog import CannedQuery
from ..sparql import federation
from ..sparql.errors import QueryFailed, UpstreamFailed
from ..sparql.job import QueryJob
from ..sparql.negotiation import RESULT_FORMATS, Format
from .errors import BadRequest, NotFound
from .finish import TRUNCATED, respond
from .search_routes import searched
from .state import state_of

router = APIRouter()

FORMATS: dict[str, Format] = {f.name: f for f in RESULT_FORMATS if f.name in ("json", "csv")}
QUERY_TEXT = "rq"


def bindings(query: CannedQuery, params: list[tuple[str, str]]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Every declared parameter bound: the given value, else its default."""
    declared = {p.name: p for p in query.parameters}
    given: dict[str, str] = {}
    for name, value in params:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise BadRequest(f"unknown parameter {name!r} for query {query.name!r} (parameters: {known})")
        if name in given:
            raise BadRequest(f"parameter {name!r} is given twice")
        given[name] = value
    try:
        return {name: p.term(given.get(name)) for name, p in declared.items()}
    except ValueError as exc:
        raise BadRequest(f"bad parameter value: {exc}") from None


def entry(query: CannedQuery) -> dict[str, object]:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "question": query.question,
        "parameters": [
            {"name": p.name, "default": p.default, "description": p.description, "kind": p.kind}
            for p in query.parameters
        ],
        "federated": federation.is_federated(query.text),
        "links": {ext: f"/queries/{query.name}.{ext}" for ext in (*FORMATS, QUERY_TEXT)},
    }


@router.get("/queries", summary="The query catalog: every canned query with its parameters and links")
async def list_queries(request: Request) -> Response:
    return JSONResponse({"queries": [entry(q) for q in state_of(request).catalog().values()]})


@router.get("/queries/{file}", summary="Run a canned query: /queries/{name}.json or .csv (or .rq for its text)")
async def run_canned(request: Request, file: str) -> Response:
    name, _, extension = file.rpartition(".")
    if not name or (extension not in FORMATS and extension != QUERY_TEXT):
        raise NotFound(f"no such resource {file!r}: use /queries/{{name}}.json, .csv or .rq")
    query = state_of(request).catalog().get(name)
    if query is None:
        raise NotFound(f"no catalog query named {name!r}")
    substitutions = bindings(query, list(request.query_params.multi_items()))
    if extension == QUERY_TEXT:
        return PlainTextResponse(query.text, media_type="application/sparql-query; charset=utf-8")
    fmt = FORMATS[extension]
    text, cut = await searched(request, query, substitutions, await prepared(request, query))
    job = QueryJob(text, fmt, substitutions=tuple(substitutions.items()))
    disposition = {"Content-Disposition": f'inline; filename="{query.name}.{fmt.name}"'}
    if cut:  # the search matched more documents than the row cap lets through
        disposition[TRUNCATED] = "true"
    try:
        return await respond(request, job, disposition, made_by_server=f"catalog query {query.name!r}")
    except QueryFailed as exc:
        if federation.is_federated(query.text):
            raise UpstreamFailed(f"Wikidata could not be queried (offline or unavailable): {exc}") from None
        raise


async def prepared(request: Request, query: CannedQuery) -> str:
    """The text to run: a federated query pointed at the configured Wikidata endpoints, with our items."""
    try:
        return await federation.prepare(state_of(request).engine, query.text)
    except (QueryFailed, ValueError) as exc:  # our items could not be read, or an endpoint setting is wrong
        raise UpstreamFailed(f"Wikidata could not be queried (offline or unavailable): {exc}") from None
