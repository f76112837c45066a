"""SPARQL 1.1 Graph Store HTTP Protocol on ``/store``: ``?graph=IRI`` or ``?default``.

Reading is open (GET, HEAD) and answered like a CONSTRUCT (:func:`.finish.respond`); writing
(PUT, POST, DELETE) is for the admin and goes through the same all-or-nothing, SHACL-gated
path as SPARQL Update (:mod:`.writes`).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..build.changes import drop_graph, replace_graph
from ..sparql.dataset import Dataset
from ..sparql.engine import ask
from ..sparql.negotiation import RDF_FORMAT_OF
from .errors import NotFound
from .finish import get_and_head, respond
from .protocol import ProtocolError, QueryRequest, job_for, media_type_of
from .state import state_of
from .writes import authorize, write

router = APIRouter()

Target = ox.NamedNode | None  # None: the default graph
EVERYTHING = "CONSTRUCT WHERE { ?s ?p ?o }"
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
        raise ProtocolError("give exactly one of ?graph=IRI and ?default")
    if default:
        return None
    try:
        return ox.NamedNode(graphs[0])
    except ValueError as exc:
        raise ProtocolError(f"not an absolute IRI: {graphs[0]!r} ({exc})") from None


def parse_triples(content_type: str | None, body: bytes, base_iri: str) -> list[ox.Triple]:
    media = media_type_of(content_type)
    rdf_format = RDF_FORMAT_OF.get(media)
    if rdf_format is None:
        raise ProtocolError("unsupported Content-Type; use one of " + ", ".join(RDF_FORMAT_OF), 415)
    try:
        quads = list(ox.parse(body, format=rdf_format, base_iri=base_iri))
    except SyntaxError as exc:
        raise ProtocolError(f"cannot parse the body as {media}: {exc}") from None
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


@get_and_head(router, "/store", "Graph Store Protocol: read a graph (?graph=IRI or ?default)", PARAMETERS)
async def read_graph(request: Request) -> Response:
    graph = target(request.url.query)
    dataset = Dataset()
    if graph is not None:
        if not await ask(
            state_of(request).engine, "ASK { GRAPH ?g { ?s ?p ?o } }", dataset=Dataset((), (graph.value,))
        ):
            raise NotFound(f"no graph <{graph.value}>")
        dataset = Dataset((graph.value,), ())
    parsed = QueryRequest(EVERYTHING, None, dataset, request.query_params.get("format"), None)
    job = replace(job_for(EVERYTHING, request.headers.get("accept"), parsed), whole=True)
    return await respond(request, job)  # the whole graph, or an explicit error (never cut at the row cap)


@router.put(
    "/store",
    summary="Graph Store Protocol: replace (PUT) or add to (POST) a graph; admin only",
    openapi_extra={"parameters": PARAMETERS},
)
async def write_graph(request: Request) -> Response:
    authorize(request)  # before the body is even read
    graph = target(request.url.query)
    base = state_of(request).settings.public_url + "store"
    triples = parse_triples(request.headers.get("content-type"), await request.body(), base)
    return await write(request, replace_graph(graph, triples, keep=request.method == "POST"))


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
    authorize(request)
    return await write(request, drop_graph(target(request.url.query)))
