"""SPARQL 1.1 Graph Store HTTP Protocol on ``/store``: ``?graph=IRI`` or ``?default``.

Reading is open (GET, HEAD); writing (PUT, POST, DELETE) is for the admin and goes
through the same all-or-nothing, SHACL-gated path as SPARQL Update. The app supplies
the two callables that do the work; this module only reads the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..build.changes import Change, drop_graph, replace_graph
from ..sparql.negotiation import RDF_FORMAT_OF
from ..sparql.protocol import ProtocolError, media_type_of

Target = ox.NamedNode | None  # None: the default graph
ReadGraph = Callable[[Request, Target], Awaitable[Response]]
WriteGraph = Callable[[Request, Change], Awaitable[Response]]
Fail = Callable[[int, str], Response]
Authorize = Callable[[Request], Response | None]

PARAMETERS = [
    {"name": "graph", "in": "query", "required": False, "schema": {"type": "string"}, "description": "graph IRI"},
    {
        "name": "default",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "the default graph",
    },
]


def target(query_string: str) -> Target:
    """The graph a request names: exactly one of ``graph=IRI`` and ``default``."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    graphs = [v for k, v in pairs if k == "graph"]
    default = any(k == "default" for k, _ in pairs)
    if len(graphs) + default != 1:
        raise ProtocolError(400, "give exactly one of ?graph=IRI and ?default")
    if default:
        return None
    try:
        return ox.NamedNode(graphs[0])
    except ValueError as exc:
        raise ProtocolError(400, f"not an absolute IRI: {graphs[0]!r} ({exc})") from None


def parse_triples(content_type: str | None, body: bytes, base_iri: str) -> list[ox.Triple]:
    media = media_type_of(content_type)
    rdf_format = RDF_FORMAT_OF.get(media)
    if rdf_format is None:
        raise ProtocolError(415, "unsupported Content-Type; use one of " + ", ".join(RDF_FORMAT_OF))
    try:
        quads = list(ox.parse(body, format=rdf_format, base_iri=base_iri))
    except SyntaxError as exc:
        raise ProtocolError(400, f"cannot parse the body as {media}: {exc}") from None
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def store_router(read: ReadGraph, write: WriteGraph, fail: Fail, authorize: Authorize) -> APIRouter:
    """``authorize`` answers a refused write (403/401) before its body is even read."""
    router = APIRouter()

    @router.get(
        "/store",
        summary="Graph Store Protocol: read a graph (?graph=IRI or ?default)",
        openapi_extra={"parameters": PARAMETERS},
    )
    async def read_graph(request: Request) -> Response:
        try:
            graph = target(request.url.query)
        except ProtocolError as exc:
            return fail(exc.status, exc.message)
        return await read(request, graph)

    @router.put(
        "/store",
        summary="Graph Store Protocol: replace (PUT) or add to (POST) a graph; admin only",
        openapi_extra={"parameters": PARAMETERS},
    )
    async def write_graph(request: Request) -> Response:
        refused = authorize(request)
        if refused is not None:
            return refused
        try:
            graph = target(request.url.query)
            triples = parse_triples(request.headers.get("content-type"), await request.body(), str(request.url))
        except ProtocolError as exc:
            return fail(exc.status, exc.message)
        return await write(request, replace_graph(graph, triples, keep=request.method == "POST"))

    router.add_api_route("/store", read_graph, methods=["HEAD"], include_in_schema=False)
    router.add_api_route(
        "/store",
        write_graph,
        methods=["POST"],
        summary="Graph Store Protocol: add to a graph; admin only",
        openapi_extra={"parameters": PARAMETERS},
        operation_id="add_to_graph_store_post",
    )

    @router.delete(
        "/store", summary="Graph Store Protocol: delete a graph; admin only", openapi_extra={"parameters": PARAMETERS}
    )
    async def delete_graph(request: Request) -> Response:
        refused = authorize(request)
        if refused is not None:
            return refused
        try:
            graph = target(request.url.query)
        except ProtocolError as exc:
            return fail(exc.status, exc.message)
        return await write(request, drop_graph(graph))

    return router
