"""Canned queries: each catalog query answered at ``/queries/{name}.json`` and ``.csv`` (a CONSTRUCT at ``.ttl``
and ``.jsonld``; ``.rq`` for its text).

The catalog is configuration (Datasette's model): read once per served build
(:meth:`.state.ServerState.catalog`). Parameters come from the query string and are bound
as a ``VALUES`` block of terms that pyoxigraph serialises (escaped and validated, never
pasted from the request): unlike pyoxigraph's ``substitutions``, which the optimiser plans
as if the variable were unbound (a 3.8M-triple store: 14 s instead of 0.2 s for
``actors-with-wikidata``), the planner sees the values and starts from them. Values are read by
:mod:`sdkg.catalog.parameters`: an entity by IRI, prefixed name or exact label, and one that names
nothing in the graph is a 400 that says so (as is a parameter the query does not declare).
``/queries/{name}/parameters/{parameter}`` lists what an entity parameter may name, for forms.
Federated queries (Wikidata SERVICE clauses) are prepared where every query is, when the engine
evaluates it (:mod:`sdkg.sparql.federation`): a canned query and the same text sent to ``/sparql``
answer and fail alike.

An answer is finished like the endpoint's (:func:`.finish.respond`: validators, the row
cap's headers, metrics).
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..catalog import CannedQuery
from ..catalog.parameters import curie, given_values, kind_of, options, resolve
from ..sparql import federation
from ..sparql.engine import Engine, select
from ..sparql.job import QueryJob
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format
from ..sparql.tokens import operation
from .errors import BadRequest, NotFound
from .finish import TRUNCATED, respond, server_made
from .search_routes import searched
from .state import state_of

router = APIRouter()


FORMATS: dict[str, Format] = {f.name: f for f in RESULT_FORMATS if f.name in ("json", "csv")}
GRAPH_EXTENSIONS: dict[str, Format] = {f.extension: f for f in GRAPH_FORMATS if f.extension in ("ttl", "jsonld")}
"""How a CONSTRUCT (or DESCRIBE) catalog query answers: Turtle or JSON-LD."""
QUERY_TEXT = "rq"


def makes_graph(query: CannedQuery) -> bool:
    """Whether the query answers with triples (CONSTRUCT, DESCRIBE) rather than solutions."""
    return operation(query.text) in ("CONSTRUCT", "DESCRIBE")


def answer_extensions(query: CannedQuery) -> tuple[str, ...]:
    return tuple(GRAPH_EXTENSIONS) if makes_graph(query) else tuple(FORMATS)


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
                "kind": "search" if p.kind == "search" else kind_of(p).name,
                "noun": kind_of(p).noun,
                "options": f"/queries/{query.name}/parameters/{p.name}" if kind_of(p).name == "entity" else None,
            }
            for p in query.parameters
        ],
        "federated": federation.is_federated(query.text),
        "links": {ext: f"/queries/{query.name}.{ext}" for ext in (*answer_extensions(query), QUERY_TEXT)},
    }


@router.get("/queries", summary="The query catalog: every canned query with its parameters and links")
async def list_queries(request: Request) -> Response:
    return JSONResponse({"queries": [entry(q) for q in state_of(request).catalog().values()]})


@router.get(
    "/queries/{file}",
    summary="Run a canned query: /queries/{name}.json or .csv (.ttl or .jsonld for a CONSTRUCT; .rq for its text)",
)
async def run_canned(request: Request, file: str) -> Response:
    name, _, extension = file.rpartition(".")
    if not name or (extension not in FORMATS and extension not in GRAPH_EXTENSIONS and extension != QUERY_TEXT):
        raise NotFound(f"no such resource {file!r}: use /queries/{{name}}.json, .csv, .ttl, .jsonld or .rq")
    query = state_of(request).catalog().get(name)
    if query is None:
        raise NotFound(f"no catalog query named {name!r}")
    if extension != QUERY_TEXT and extension not in answer_extensions(query):
        offered = " or ".join(f"/queries/{query.name}.{e}" for e in answer_extensions(query))
        kind = "triples (a CONSTRUCT)" if makes_graph(query) else "solutions (a SELECT)"
        raise NotFound(f"{query.name!r} answers with {kind}: ask for {offered}")
    params = list(request.query_params.multi_items())
    if extension == QUERY_TEXT:
        given_values(query, params)
        return PlainTextResponse(query.text, media_type="application/sparql-query; charset=utf-8")
    with server_made(f"the parameter look-up of {query.name!r}"):
        substitutions = await resolve(state_of(request).engine, query, params)
    text, cut = await searched(request, query, substitutions, query.text)
    if extension in GRAPH_EXTENSIONS:
        fmt = GRAPH_EXTENSIONS[extension]
        job = QueryJob(text, graph_format=fmt, substitutions=tuple(substitutions.items()))
    else:
        fmt = FORMATS[extension]
        job = QueryJob(text, fmt, substitutions=tuple(substitutions.items()))
    disposition = {"Content-Disposition": f'inline; filename="{query.name}.{extension}"'}
    if cut:  # the search matched more documents than the row cap lets through
        disposition[TRUNCATED] = "true"
    return await respond(request, job, disposition, made_by_server=f"catalog query {query.name!r}")


@router.get(
    "/queries/{name}/parameters/{parameter}",
    summary="A canned query's parameter: what it may name (for forms), or with ?value= the term a value names",
)
async def parameter_options(request: Request, name: str, parameter: str) -> Response:
    """Without ``value``: each entity the parameter may name (IRI, prefixed name, label). With ``value``: the
    term it names (as ``/queries/{name}.json`` would bind it), or a 400 saying it names nothing."""
    query = state_of(request).catalog().get(name)
    if query is None:
        raise NotFound(f"no catalog query named {name!r}")
    declared = next((p for p in query.parameters if p.name == parameter), None)
    if declared is None:
        known = ", ".join(p.name for p in query.parameters) or "none"
        raise NotFound(f"query {name!r} has no parameter {parameter!r} (parameters: {known})")
    given = list(request.query_params.multi_items())
    if any(key != "value" for key, _ in given) or len(given) > 1:
        raise BadRequest("this resource takes at most one parameter, value")
    engine = state_of(request).engine
    kind = kind_of(declared)
    if given:
        with server_made(f"the parameter look-up of {name!r}"):
            term = (await resolve(engine, query, [(parameter, given[0][1])]))[parameter]
        label = await label_of(engine, term) if isinstance(term, ox.NamedNode) else None
        shown = curie(term.value) if isinstance(term, ox.NamedNode) else term.value
        return JSONResponse({"parameter": parameter, "term": str(term), "value": shown, "label": label})
    with server_made(f"the options of {name}/{parameter}"):
        found = await options(engine, declared)
    return JSONResponse({"parameter": parameter, "kind": kind.name, "noun": kind.noun, "options": found})


async def label_of(engine: Engine, term: ox.NamedNode) -> str | None:
    rows = await select(engine, LABEL, {"entity": term})
    return rows[0]["label"]["value"] if rows else None


LABEL = "SELECT ?label WHERE { ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 1"
