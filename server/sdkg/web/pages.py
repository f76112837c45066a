"""Linked data: every IRI under https://w3id.org/sdkg/id/ at ``/id/...``, the ontology at ``/ontology``.

One URL per resource; content negotiation (``Accept``, or ``?format=``, or a
``.ttl``/``.jsonld``/``.rdf``/``.nt``/``.html`` suffix) picks HTML for people or
Turtle, JSON-LD, RDF/XML, N-Triples for programs. ``*/*`` gets HTML.
Protégé's ``Accept: application/rdf+xml, application/xml;q=0.7, ...`` gets RDF/XML.

A page's queries go to the served engine like any other (:mod:`.describe` gathers them);
RDF answers are finished by :func:`.finish.respond`, HTML pages by
:func:`.finish.respond_page`, and errors (404, 406, a busy engine) are raised to the one
handler (:mod:`.errors`), which answers browsers with an HTML page.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ..namespaces import ID, ONTOLOGY_IRI
from ..sparql.errors import NotAcceptable
from ..sparql.job import QueryJob
from ..sparql.negotiation import GRAPH_FORMATS, Format, negotiate
from .describe import SLUG, count_kinds, describe, describe_query, entity_iri, list_namespace
from .errors import BadRequest, NotFound
from .finish import respond, respond_page, server_made
from .ontology_docs import ONTOLOGY_GRAPH, ontology_terms
from .profiles import profile_of
from .render import render, with_site_bar
from .state import state_of

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
    """The representation to send; raises :class:`~sdkg.sparql.errors.NotAcceptable` naming what is offered."""
    if forced is not None:
        return forced
    try:
        return negotiate(request.headers.get("accept"), PAGE_FORMATS, request.query_params.get("format"))
    except NotAcceptable:
        raise NotAcceptable([f.media_type for f in PAGE_FORMATS]) from None


def alternates(base: str) -> str:
    """A ``Link`` header naming every representation of the resource at ``base``."""
    return ", ".join(f'<{base}.{f.extension}>; rel="alternate"; type="{f.media_type}"' for f in PAGE_FORMATS)


@router.api_route("/id", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/id/", methods=["GET", "HEAD"], summary="Browse the graph's entities by kind")
async def id_index(request: Request) -> Response:
    async def page() -> Response:
        counts = await count_kinds(state_of(request).engine, KINDS)
        return render(request, "index_kinds.html", title="Browse", counts=counts)

    return await respond_page(request, page)


def listing_keys(request: Request) -> tuple[str | None, str | None]:
    """A listing page's ``after`` or ``before`` slug (keyset paging); both at once, or anything else, is a 400."""
    given = list(request.query_params.multi_items())
    unknown = sorted({name for name, _ in given} - {"after", "before"})
    if unknown or len(given) > 1:
        what = f"unknown parameter {unknown[0]!r}" if unknown else "give one of after and before, once"
        raise BadRequest(f"a listing page takes after=SLUG or before=SLUG: {what}")
    after = request.query_params.get("after")
    before = request.query_params.get("before")
    for slug in (after, before):
        if slug is not None and not SLUG.fullmatch(slug):
            raise BadRequest(f"{slug!r} is not an entity's slug")
    return after, before


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], summary="Linked data: one entity, or a kind's list")
async def entity(request: Request, path: str) -> Response:
    engine = state_of(request).engine
    kind = path.rstrip("/")
    if kind in KINDS:
        after, before = listing_keys(request)

        async def listing_page() -> Response:
            listing = await list_namespace(engine, ID + kind + "/", after, before)
            listing.total = (await count_kinds(engine, [kind]))[kind]
            return render(request, "listing.html", title=kind.capitalize(), kind=kind, listing=listing)

        return await respond_page(request, listing_page)
    bare, forced = split_suffix(path)
    iri = entity_iri(bare)
    if iri is None:
        raise NotFound(f"/id/{path} is not an entity path (expected /id/{{kind}}/{{slug}}).")
    fmt = choose(request, forced)
    headers = {"Link": alternates(f"/id/{bare}")}
    if fmt is not HTML:
        with server_made("this entity's description"):
            known = (await describe(engine, iri)).exists
        if not known:
            raise NotFound(f"Nothing is known about {iri}.")
        job = QueryJob(describe_query(iri), graph_format=fmt)
        return await respond(request, job, headers, inline_context=True, made_by_server="this entity's description")

    async def resource_page() -> Response:
        resource = await describe(engine, iri)
        if not resource.exists:
            raise NotFound(f"Nothing is known about {iri}.")
        profile = await profile_of(engine, bare.split("/", 1)[0], iri)
        title = resource.label or bare
        return render(
            request,
            "resource.html",
            headers={"Vary": "Accept", **headers},
            title=title,
            r=resource,
            path=bare,
            profile=profile,
        )

    return await respond_page(request, resource_page)


@router.api_route("/ontology", methods=["GET", "HEAD"], summary="The SDKG ontology (HTML, RDF/XML, Turtle, JSON-LD)")
async def ontology(request: Request) -> Response:
    return await ontology_response(request, None)


@router.api_route("/ontology/{version}", methods=["GET", "HEAD"], include_in_schema=False)
async def ontology_version(request: Request, version: str) -> Response:
    """A version IRI such as ``/ontology/0.1.0`` (this server has only the current version)."""
    if not VERSION_PATH.fullmatch(version):
        raise NotFound(f"/ontology/{version} is not a version of the ontology.")
    return await ontology_response(request, None)


@router.api_route("/ontology{suffix}", methods=["GET", "HEAD"], include_in_schema=False)
async def ontology_with_suffix(request: Request, suffix: str) -> Response:
    """``/ontology.owl``, ``/ontology.ttl``, ``/ontology.jsonld``, ``/ontology.nt``, ``/ontology.html``."""
    _, forced = split_suffix("ontology" + suffix)
    if forced is None or not suffix.startswith("."):
        raise NotFound(f"/ontology{suffix} is not a representation of the ontology.")
    return await ontology_response(request, forced)


async def ontology_response(request: Request, forced: Format | None) -> Response:
    """The release file for the format when the release step has made it, else the ontology from the store."""
    fmt = choose(request, forced)
    state = state_of(request)
    headers = {"Vary": "Accept", "Link": alternates("/ontology")}
    release_file = await state.ontology_files.get(fmt.media_type)
    if fmt is not HTML and release_file is not None:
        return FileResponse(release_file, media_type=fmt.media_type, headers=headers)
    if fmt is not HTML:
        job = QueryJob(ONTOLOGY_GRAPH, graph_format=fmt)
        return await respond(request, job, headers, inline_context=True, made_by_server="the ontology's query")

    async def page() -> Response:
        if release_file is not None:
            html = await run_in_threadpool(release_file.read_text, encoding="utf-8")
            return HTMLResponse(with_site_bar(html), headers=headers)
        doc = await ontology_terms(state.engine)
        return render(request, "ontology.html", headers=headers, title=doc.title, doc=doc, ontology_iri=ONTOLOGY_IRI)

    return await respond_page(request, page, release_file is not None)
