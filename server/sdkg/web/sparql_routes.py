"""The SPARQL 1.1 Protocol endpoint, ``/sparql``: queries (GET, POST), updates (POST, admin only), and
without a query its service description.

A request is read once (:mod:`.protocol`) into one :class:`~sdkg.sparql.job.QueryJob` and
answered by :func:`.finish.respond`; errors are raised and answered by the one handler
(:mod:`.errors`). An update goes the admin write path (:mod:`.writes`).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from ..build.changes import sparql_update
from ..catalog.rdf import catalog_triples
from ..sparql.dataset import with_using
from ..sparql.guard import admit
from ..sparql.inline import REMEMBERED_TEXT
from ..sparql.negotiation import GRAPH_FORMATS, negotiate
from ..sparql.tokens import is_update
from .errors import BadRequest, Forbidden, HttpError
from .finish import get_and_head, respond, respond_graph, respond_now
from .protocol import QueryRequest, job_for, parse_get, parse_post
from .service import SELF_PREFIXES, service_description
from .state import state_of
from .writes import authorize, write

router = APIRouter()
PROLOGUE_READ = 65_536
"""Characters read in the event loop to tell an update from a query (the engine's parser refuses the rest)."""

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


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """``/sparql`` as a plain ASGI callable: the front layer calls it directly (the routes below document it
    in OpenAPI and answer the same); errors are raised to the front layer's one handler."""
    request = Request(scope, receive)
    method = scope["method"]
    if method in ("GET", "HEAD"):
        response = await sparql_get(request)
    elif method == "POST":
        response = await sparql_post(request)
    else:
        raise HttpError(f"{method} is not allowed on /sparql", 405, {"Allow": "GET, HEAD, POST, OPTIONS"})
    await response(scope, receive, send)


def endpoint_now(scope: Scope) -> Response | None:
    """``GET /sparql?query=...`` answered without awaiting anything, when the engine can (a light query, see
    :func:`.finish.respond_now`): the same answer as :func:`sparql_get`'s, or ``None`` and that answers."""
    parsed = parse_get(scope["query_string"])
    if parsed.query is None or parsed.update is not None or update_sent_as_query(parsed.query):
        return None
    request = Request(scope)
    return respond_now(request, job_for(parsed.query, request.headers.get("accept"), parsed))


@get_and_head(router, "/sparql", "SPARQL 1.1 query (GET); without a query: the service description", QUERY_PARAMETERS)
async def sparql_get(request: Request) -> Response:
    parsed = parse_get(request.scope["query_string"])
    if parsed.query is None and parsed.update is None:
        return await describe_service(request)
    return await answer(request, parsed)


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query or update (POST form-encoded, application/sparql-query or application/sparql-update)",
    openapi_extra={"parameters": QUERY_PARAMETERS[1:], "requestBody": QUERY_BODY},
)
async def sparql_post(request: Request) -> Response:
    body = await request.body()
    arguments = (request.headers.get("content-type"), body, request.scope["query_string"])
    if len(body) > PROLOGUE_READ:  # decoding a large form takes a while (0.1 s a megabyte): not in the event loop
        parsed = await asyncio.to_thread(parse_post, *arguments)
    else:
        parsed = parse_post(*arguments)
    return await answer(request, parsed)


@lru_cache(maxsize=1024)
def remembered_is_update(text: str) -> bool:
    return is_update(text)


def update_sent_as_query(query: str) -> bool:
    """Whether ``query`` is an update, told by its first keyword. A text whose comments hold an update's word
    (``with``, ``add``, ``load``...) is tokenised to know, which a canned query would pay at every request: short
    texts' answers are remembered (1,024 of them, as long as the cheap jobs :mod:`~sdkg.sparql.inline` remembers)."""
    head = query[:PROLOGUE_READ]
    return remembered_is_update(head) if len(head) <= REMEMBERED_TEXT else is_update(head)


async def answer(request: Request, parsed: QueryRequest) -> Response:
    if parsed.update is not None:
        if request.method != "POST":
            raise BadRequest("updates must be sent with POST")
        return await run_update(request, parsed, parsed.update)
    if parsed.query is None:
        raise BadRequest("missing 'query' parameter")
    if update_sent_as_query(parsed.query):  # an update sent as a query: say how to send it, or that none may be
        if state_of(request).settings.admin_token is None:
            raise Forbidden("this endpoint is read-only: SPARQL updates are not allowed")
        raise BadRequest("an update is sent with POST, as 'update' or application/sparql-update")
    return await respond(request, job_for(parsed.query, request.headers.get("accept"), parsed))


async def run_update(request: Request, parsed: QueryRequest, update: str) -> Response:
    authorize(request)
    settings = state_of(request).settings
    admit(update, settings.allowed_services, update=True)
    text = with_using(update, parsed.dataset)
    return await write(request, sparql_update(text, base_iri=settings.base_iri))


async def describe_service(request: Request) -> Response:
    """The SPARQL 1.1 service description of this endpoint, with the query catalog attached."""
    state = state_of(request)
    fmt = negotiate(request.headers.get("accept"), GRAPH_FORMATS, request.query_params.get("format"))
    base = state.settings.public_url
    catalog = catalog_triples(base, state.readable_catalog())
    described = service_description(base, await state.stats(), state.settings.admin_token is not None, catalog)
    return await respond_graph(request, described, fmt, {**state.prefixes, **SELF_PREFIXES}, "service-description")
