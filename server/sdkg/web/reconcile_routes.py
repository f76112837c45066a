"""``/reconcile``: the Reconciliation Service API 0.2 (what OpenRefine's "Add standard service" speaks).

- ``GET /reconcile``: the manifest; ``GET`` or ``POST`` (form-encoded) with ``queries=`` a batch of
  queries, with ``extend=`` a data extension request;
- ``/reconcile/suggest/{entity|type|property}?prefix=``, ``/reconcile/flyout/{kind}?id=``: auto-complete;
- ``/reconcile/preview?id=``: the HTML preview of an entity; ``/reconcile/properties?type=``: the
  properties proposed for a data extension.

The index (:class:`sdkg.reconcile.Index`) is made from the served store once per build version
(:meth:`.state.ServerState.per_build`), its queries run by the served engine like any page's; then
every request is answered from memory. Errors are raised: a request the protocol does not allow is
a :class:`sdkg.reconcile.InvalidRequest` (400, :mod:`.errors`); an unknown entity is a 404.
"""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..reconcile import QUERIES, Index, build_index
from ..reconcile import protocol as rp
from ..reconcile.index import PROPERTY_BY_ID
from ..sparql.engine import Engine
from ..sparql.job import QueryJob
from .errors import BadRequest, NotFound
from .finish import respond_page, server_made
from .state import state_of

router = APIRouter()

SUGGEST_LIMIT = 10
SERVICE_PARAMETERS: list[dict[str, Any]] = [
    {"name": "queries", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "extend", "in": "query", "required": False, "schema": {"type": "string"}},
]


async def make_index(engine: Engine, page: int | None = None) -> Index:
    """Run the index's queries on the served engine and build the index (in a thread: it is CPU work).

    ``page`` is the server's row cap: a query whose answer it would cut is read page by page
    (``ORDER BY`` every variable, ``LIMIT``/``OFFSET``), so the index is whole whatever the cap.
    """
    answers: dict[str, list[dict[str, str]]] = {}
    for name, query in QUERIES.items():
        answers[name] = await solutions_of(engine, name, query, page)
    return await run_in_threadpool(build_index, answers)


async def solutions_of(engine: Engine, name: str, query: str, page: int | None) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    ordered = query
    if page:
        variables = [v for v in query.split("WHERE", 1)[0].split() if v.startswith("?")]
        ordered = f"{query} ORDER BY {' '.join(variables)} LIMIT {page} OFFSET {{offset}}"
    offset = 0
    while True:
        text = ordered.replace("{offset}", str(offset)) if page else query
        with server_made(f"the reconciliation index's {name!r} query"):
            output = await engine.run(QueryJob.select(text))
        data = json.loads(output.body)
        rows = [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
        found += rows
        if not page or len(rows) < page:
            return found
        offset += page


async def index_of(request: Request) -> Index:
    state = state_of(request)
    return await state.per_build("reconcile", lambda: make_index(state.engine, state.settings.max_rows))


async def parameters(request: Request) -> dict[str, str]:
    """The request's parameters: the query string's, and for a POST the form's (each name at most once)."""
    found: dict[str, str] = {}
    given = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        given += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    for name, value in given:
        if name in found:
            raise BadRequest(f"parameter {name!r} is given twice")
        found[name] = value
    return found


@router.api_route(
    "/reconcile",
    methods=["GET", "POST"],
    summary="Reconciliation Service API 0.2: the manifest, or a batch of queries (queries=), or a data "
    "extension (extend=)",
    openapi_extra={"parameters": SERVICE_PARAMETERS},
)
async def reconcile(request: Request) -> Response:
    given = await parameters(request)
    index = await index_of(request)
    if "queries" in given and "extend" in given:
        raise BadRequest("send 'queries' or 'extend', not both")
    if "queries" in given:
        batch = rp.read_batch(given["queries"])
        return JSONResponse(await run_in_threadpool(rp.results, index, batch))
    if "extend" in given:
        ids, wanted = rp.read_extension(given["extend"])
        return JSONResponse(rp.extension(index, ids, wanted))
    return JSONResponse(rp.manifest(str(request.base_url), index))


def paging(request: Request) -> tuple[str, int, int]:
    """``prefix`` (required), ``cursor`` and ``limit`` of a suggest request."""
    prefix = request.query_params.get("prefix")
    if prefix is None:
        raise BadRequest("give ?prefix=the beginning of a name")
    try:
        cursor = int(request.query_params.get("cursor", "0") or 0)
        limit = int(request.query_params.get("limit", str(SUGGEST_LIMIT)) or SUGGEST_LIMIT)
    except ValueError:
        raise BadRequest("'cursor' and 'limit' are numbers") from None
    if cursor < 0 or not 0 < limit <= rp.MAX_LIMIT:
        raise BadRequest(f"'cursor' is 0 or more, 'limit' between 1 and {rp.MAX_LIMIT}")
    return prefix, cursor, limit


@router.get("/reconcile/suggest/entity", summary="Suggest entities whose name begins with ?prefix= (type= to narrow)")
async def suggest_entity(request: Request) -> Response:
    prefix, cursor, limit = paging(request)
    index = await index_of(request)
    types = request.query_params.getlist("type")
    unknown = [t for t in types if t not in index.types]
    if unknown:
        raise BadRequest(f"unknown type(s) {', '.join(unknown)}; /reconcile/suggest/type?prefix= lists them")
    return JSONResponse(rp.suggested_entities(index, index.suggest(prefix, types, limit, cursor)))


@router.get("/reconcile/suggest/type", summary="Suggest types (classes of the ontology) by ?prefix=")
async def suggest_type(request: Request) -> Response:
    prefix, cursor, limit = paging(request)
    return JSONResponse(rp.suggested_types(await index_of(request), prefix, limit, cursor))


@router.get("/reconcile/suggest/property", summary="Suggest properties by ?prefix=")
async def suggest_property(request: Request) -> Response:
    prefix, cursor, limit = paging(request)
    return JSONResponse(rp.suggested_properties(prefix, limit, cursor))


def required_id(request: Request) -> str:
    given = request.query_params.get("id")
    if not given:
        raise BadRequest("give ?id=an entity id, such as actor/mary-kaldor")
    return rp.entity_id(given)


@router.get("/reconcile/flyout/entity", summary="The suggest flyout of an entity (?id=)")
async def flyout_entity(request: Request) -> Response:
    index = await index_of(request)
    entity = index.entities.get(required_id(request))
    if entity is None:
        raise NotFound(f"no entity {request.query_params.get('id')!r} in this graph")
    return JSONResponse(rp.flyout(index, entity))


@router.get("/reconcile/flyout/type", summary="The suggest flyout of a type (?id=)")
async def flyout_type(request: Request) -> Response:
    index = await index_of(request)
    type_id = request.query_params.get("id") or ""
    known = index.types.get(type_id)
    if known is None:
        raise NotFound(f"no type {type_id!r}; /reconcile/suggest/type?prefix= lists them")
    return JSONResponse({"id": known.id, "html": f"<p>{html.escape(known.name)}: {html.escape(known.description)}</p>"})


@router.get("/reconcile/flyout/property", summary="The suggest flyout of a property (?id=)")
async def flyout_property(request: Request) -> Response:
    wanted = request.query_params.get("id") or ""
    found = PROPERTY_BY_ID.get(wanted)
    if found is None:
        raise NotFound(f"no property {wanted!r}; /reconcile/suggest/property?prefix= lists them")
    return JSONResponse({"id": found.id, "html": f"<p>{html.escape(found.name)}: {html.escape(found.description)}</p>"})


@router.get("/reconcile/preview", summary="An HTML preview of an entity (?id=), for the client's preview frame")
async def preview(request: Request) -> Response:
    wanted = required_id(request)

    async def page() -> Response:
        index = await index_of(request)
        entity = index.entities.get(wanted)
        if entity is None:
            raise NotFound(f"no entity {wanted!r} in this graph")
        return HTMLResponse(rp.preview(str(request.base_url), index, entity))

    return await respond_page(request, page)


@router.get("/reconcile/properties", summary="Properties proposed for a data extension (?type= to narrow, limit=)")
async def properties(request: Request) -> Response:
    type_id = request.query_params.get("type") or None
    try:
        limit = int(request.query_params["limit"]) if request.query_params.get("limit") else None
    except ValueError:
        raise BadRequest("'limit' is a number") from None
    return JSONResponse(rp.proposed_properties(await index_of(request), type_id, limit))
