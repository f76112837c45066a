"""Linked data: every IRI under https://w3id.org/sdkg/id/ at ``/id/...``, the ontology at ``/ontology``.

One URL per resource; content negotiation (``Accept``, or ``?format=``, or a
``.ttl``/``.jsonld``/``.rdf``/``.nt``/``.html`` suffix) picks HTML for people or
Turtle, JSON-LD, RDF/XML, N-Triples for programs. ``*/*`` gets HTML.
Protégé's ``Accept: application/rdf+xml, application/xml;q=0.7, ...`` gets RDF/XML.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ..namespaces import ID, ONTOLOGY_IRI
from ..sparql.engine import Engine
from ..sparql.errors import EngineBusy, NotAcceptable, QueryTimeout, WorkerFailed
from ..sparql.job import QueryJob
from ..sparql.negotiation import GRAPH_FORMATS, Format, negotiate
from .describe import count_kinds, describe, describe_query, entity_iri, list_namespace
from .ontology_docs import OntologyFiles, ontology_graph, ontology_terms
from .render import render, with_site_bar

router = APIRouter()

HTML = Format("text/html", "html", "html")
_GRAPH = {f.name: f for f in GRAPH_FORMATS}
PAGE_FORMATS: list[Format] = [HTML, _GRAPH["turtle"], _GRAPH["jsonld"], _GRAPH["rdfxml"], _GRAPH["ntriples"]]
SUFFIXES = {"." + f.extension: f for f in PAGE_FORMATS} | {".owl": _GRAPH["rdfxml"], ".json": _GRAPH["jsonld"]}
KINDS = ["actor", "argument", "ascription", "case", "claim", "concept", "discourse", "passage", "place", "source"]
VERSION_PATH = re.compile(r"\d+(?:\.\d+)*")


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``actor/x.ttl`` → (``actor/x``, Turtle); a path without a known suffix is returned as is."""
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], fmt
    return path, None


def choose(request: Request, forced: Format | None) -> Format:
    """The representation to send; raises :class:`NotAcceptable`."""
    if forced is not None:
        return forced
    return negotiate(request.headers.get("accept"), PAGE_FORMATS, request.query_params.get("format"))


def alternates(base: str) -> str:
    """A ``Link`` header naming every representation of the resource at ``base``."""
    return ", ".join(f'<{base}.{f.extension}>; rel="alternate"; type="{f.media_type}"' for f in PAGE_FORMATS)


def not_acceptable() -> PlainTextResponse:
    offered = ", ".join(f.media_type for f in PAGE_FORMATS)
    return PlainTextResponse(f"Not Acceptable: this resource is offered as {offered}\n", status_code=406)


def media_type_of(fmt: Format) -> str:
    return fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")


async def graph_response(engine: Engine, query: str, fmt: Format, headers: dict[str, str]) -> Response:
    """A CONSTRUCT answer; JSON-LD comes compacted with an inline context of the project's prefixes."""
    output = await engine.run(QueryJob(query, graph_format=fmt))
    return Response(output.body, media_type=media_type_of(fmt), headers=headers)


async def guarded(request: Request, page: Callable[[], Awaitable[Response]]) -> Response:
    """Run a page; a busy or timed-out query engine is a 503, not a crash."""
    try:
        return await page()
    except (QueryTimeout, EngineBusy, WorkerFailed) as exc:
        message = f"The query engine cannot answer now ({exc}); try again shortly."
        return render(request, "not_found.html", status_code=503, title="Unavailable", message=message)


@router.api_route("/id", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/id/", methods=["GET", "HEAD"], summary="Browse the graph's entities by kind")
async def id_index(request: Request) -> Response:
    async def page() -> Response:
        counts = await count_kinds(request.app.state.engine, KINDS)
        return render(request, "index_kinds.html", title="Browse", counts=counts)

    return await guarded(request, page)


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], summary="Linked data: one entity, or a kind's list")
async def entity(request: Request, path: str) -> Response:
    return await guarded(request, lambda: entity_page(request, path))


async def entity_page(request: Request, path: str) -> Response:
    engine: Engine = request.app.state.engine
    kind = path.rstrip("/")
    if kind in KINDS:
        listing = await list_namespace(engine, ID + kind + "/")
        return render(request, "listing.html", title=kind.capitalize(), kind=kind, listing=listing)
    bare, forced = split_suffix(path)
    iri = entity_iri(bare)
    if iri is None:
        return not_found(request, f"/id/{path} is not an entity path (expected /id/{{kind}}/{{slug}}).")
    try:
        fmt = choose(request, forced)
    except NotAcceptable:
        return not_acceptable()
    headers = {"Vary": "Accept", "Link": alternates(f"/id/{bare}")}
    resource = await describe(engine, iri)
    if not resource.exists:
        return not_found(request, f"Nothing is known about {iri}.", fmt)
    if fmt is not HTML:
        return await graph_response(engine, describe_query(iri), fmt, headers)
    return render(request, "resource.html", headers=headers, title=resource.label or bare, r=resource, path=bare)


def not_found(request: Request, message: str, fmt: Format | None = HTML) -> Response:
    if fmt is HTML:
        return render(request, "not_found.html", status_code=404, title="Not found", message=message)
    return PlainTextResponse(message + "\n", status_code=404)


def ontology_files(request: Request) -> OntologyFiles:
    files = getattr(request.app.state, "ontology_files", None)
    if files is None:
        files = OntologyFiles(request.app.state.settings.root)
        request.app.state.ontology_files = files
    return files


@router.api_route("/ontology", methods=["GET", "HEAD"], summary="The SDKG ontology (HTML, RDF/XML, Turtle, JSON-LD)")
async def ontology(request: Request) -> Response:
    return await ontology_response(request, None)


@router.api_route("/ontology/{version}", methods=["GET", "HEAD"], include_in_schema=False)
async def ontology_version(request: Request, version: str) -> Response:
    """A version IRI such as ``/ontology/0.1.0`` (this server has only the current version)."""
    if not VERSION_PATH.fullmatch(version):
        return not_found(request, f"/ontology/{version} is not a version of the ontology.")
    return await ontology_response(request, None)


@router.api_route("/ontology{suffix}", methods=["GET", "HEAD"], include_in_schema=False)
async def ontology_with_suffix(request: Request, suffix: str) -> Response:
    """``/ontology.owl``, ``/ontology.ttl``, ``/ontology.jsonld``, ``/ontology.nt``, ``/ontology.html``."""
    _, forced = split_suffix("ontology" + suffix)
    if forced is None or not suffix.startswith("."):
        return not_found(request, f"/ontology{suffix} is not a representation of the ontology.")
    return await ontology_response(request, forced)


async def ontology_response(request: Request, forced: Format | None) -> Response:
    return await guarded(request, lambda: ontology_page(request, forced))


async def ontology_page(request: Request, forced: Format | None) -> Response:
    try:
        fmt = choose(request, forced)
    except NotAcceptable:
        return not_acceptable()
    headers = {"Vary": "Accept", "Link": alternates("/ontology")}
    release_file = await ontology_files(request).get(fmt.media_type)
    if release_file is not None and fmt is HTML:
        html = await run_in_threadpool(release_file.read_text, encoding="utf-8")
        return HTMLResponse(with_site_bar(html), headers=headers)
    if release_file is not None:
        return FileResponse(release_file, media_type=media_type_of(fmt), headers=headers)
    engine: Engine = request.app.state.engine
    if fmt is not HTML:
        output = await ontology_graph(engine, fmt)
        return Response(output.body, media_type=media_type_of(fmt), headers=headers)
    doc = await ontology_terms(engine)
    return render(request, "ontology.html", headers=headers, title=doc.title, doc=doc, ontology_iri=ONTOLOGY_IRI)
