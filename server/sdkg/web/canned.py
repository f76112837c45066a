"""Canned queries: each catalog query answered at ``/queries/{name}.json`` and ``.csv`` (``.rq`` for its text).

The catalog is configuration (Datasette's model): read once per served build
(:meth:`.state.ServerState.catalog`). Parameters come from the query string and are bound
as a ``VALUES`` block of terms that pyoxigraph serialises (escaped and validated, never
pasted from the request): unlike pyoxigraph's ``substitutions``, which the optimiser plans
as if the variable were unbound (a 3.8M-triple store: 14 s instead of 0.2 s for
``actors-with-wikidata``), the planner sees the values and starts from them. Values are read by
:mod:`sdkg.catalog.parameters`: an entity by IRI, prefixed name or exact label, and one that names
nothing in the graph is a 400 that says so (as is a parameter the query does not declare).
``/queries/{name}/parameters/{parameter}`` lists what an entity parameter may name, for forms.
Federated queries (Wikidata SERVICE clauses) are prepared by :func:`sdkg.sparql.federation.prepare`
first: their endpoints mapped to the configured ones and ``?item`` bound to our QIDs.

An answer is finished like the endpoint's (:func:`.finish.respond`: validators, the row
cap's headers, metrics).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..catalog import CannedQuery
from ..catalog.parameters import given_values, kind_of, options, resolve
from ..sparql import federation
from ..sparql.errors import QueryFailed, UpstreamFailed
from ..sparql.job import QueryJob
from ..sparql.negotiation import RESULT_FORMATS, Format
from .errors import NotFound
from .finish import respond, server_made
from .state import state_of

router = APIRouter()

FORMATS: dict[str, Format] = {f.name: f for f in RESULT_FORMATS if f.name in ("json", "csv")}
QUERY_TEXT = "rq"


def entry(query: CannedQuery) -> dict[str, object]:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "question": query.question,
        "parameters": [
            {
                "name": p.name,
                "default": p.default,
                "description": p.description,
                "kind": kind_of(p).name,
                "noun": kind_of(p).noun,
                "options": f"/queries/{query.name}/parameters/{p.name}" if kind_of(p).name == "entity" else None,
            }
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
    params = list(request.query_params.multi_items())
    if extension == QUERY_TEXT:
        given_values(query, params)
        return PlainTextResponse(query.text, media_type="application/sparql-query; charset=utf-8")
    with server_made(f"the parameter look-up of {query.name!r}"):
        substitutions = await resolve(state_of(request).engine, query, params)
    fmt = FORMATS[extension]
    job = QueryJob(await prepared(request, query), fmt, substitutions=tuple(substitutions.items()))
    disposition = {"Content-Disposition": f'inline; filename="{query.name}.{fmt.name}"'}
    try:
        return await respond(request, job, disposition, made_by_server=f"catalog query {query.name!r}")
    except QueryFailed as exc:
        if federation.is_federated(query.text):
            raise UpstreamFailed(f"Wikidata could not be queried (offline or unavailable): {exc}") from None
        raise


@router.get(
    "/queries/{name}/parameters/{parameter}",
    summary="What a canned query's parameter may name: each entity's IRI, prefixed name and label (for forms)",
)
async def parameter_options(request: Request, name: str, parameter: str) -> Response:
    query = state_of(request).catalog().get(name)
    if query is None:
        raise NotFound(f"no catalog query named {name!r}")
    declared = next((p for p in query.parameters if p.name == parameter), None)
    if declared is None:
        known = ", ".join(p.name for p in query.parameters) or "none"
        raise NotFound(f"query {name!r} has no parameter {parameter!r} (parameters: {known})")
    with server_made(f"the options of {name}/{parameter}"):
        found = await options(state_of(request).engine, declared)
    kind = kind_of(declared)
    return JSONResponse({"parameter": parameter, "kind": kind.name, "noun": kind.noun, "options": found})


async def prepared(request: Request, query: CannedQuery) -> str:
    """The text to run: a federated query pointed at the configured Wikidata endpoints, with our items."""
    try:
        return await federation.prepare(state_of(request).engine, query.text)
    except (QueryFailed, ValueError) as exc:  # our items could not be read, or an endpoint setting is wrong
        raise UpstreamFailed(f"Wikidata could not be queried (offline or unavailable): {exc}") from None
