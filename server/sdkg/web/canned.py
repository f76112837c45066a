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
cap's headers, metrics). ``?page=N&size=S`` answers one page of the solutions, with ``Link``
headers to the others (:mod:`.paging`); ``/queries/{name}`` is one page as an HTML table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..build.summaries import WRITTEN_BY_THIS_CODE
from ..catalog import CannedQuery, CatalogError, load_catalog
from ..catalog.parameters import Term, curie, given_values, kind_of, options, resolve
from ..sparql import federation
from ..sparql.engine import Engine, ask, select
from ..sparql.job import QueryJob
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format
from ..sparql.tokens import operation
from . import paging
from .errors import BadRequest, HttpError, NotFound
from .finish import TRUNCATED, respond, respond_page, server_made
from .paging import Page, page_headers, page_of
from .render import render
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
        "links": {
            **({} if makes_graph(query) else {"html": f"/queries/{query.name}"}),  # pages of the answer as a table
            **{ext: f"/queries/{query.name}.{ext}" for ext in (*answer_extensions(query), QUERY_TEXT)},
        },
    }


@router.get("/queries", summary="The query catalog: every canned query with its parameters and links")
async def list_queries(request: Request) -> Response:
    return JSONResponse({"queries": [entry(q) for q in state_of(request).catalog().values()]})


@router.get(
    "/queries/{file}",
    summary="Run a canned query: /queries/{name}.json or .csv (.ttl or .jsonld for a CONSTRUCT; .rq for its text); "
    "/queries/{name} is an HTML page; ?page=N&size=S pages the solutions",
)
async def run_canned(request: Request, file: str) -> Response:
    if "." not in file:
        return await respond_page(request, lambda: canned_page(request, file))
    name, _, extension = file.rpartition(".")
    if not name or (extension not in FORMATS and extension not in GRAPH_EXTENSIONS and extension != QUERY_TEXT):
        raise NotFound(f"no such resource {file!r}: use /queries/{{name}}, .json, .csv, .ttl, .jsonld or .rq")
    query = catalog_query(request, name)
    if extension != QUERY_TEXT:
        query = await served_form(request, query)
    if extension != QUERY_TEXT and extension not in answer_extensions(query):
        offered = " or ".join(f"/queries/{query.name}.{e}" for e in answer_extensions(query))
        kind = "triples (a CONSTRUCT)" if makes_graph(query) else "solutions (a SELECT)"
        raise NotFound(f"{query.name!r} answers with {kind}: ask for {offered}")
    paging, params = paged_params(request, query)
    if extension == QUERY_TEXT:
        given_values(query, params)
        return PlainTextResponse(query.text, media_type="application/sparql-query; charset=utf-8")
    with server_made(f"the parameter look-up of {query.name!r}"):
        substitutions = await resolve(state_of(request).engine, query, params)
    page = page_of(paging, query.text, state_of(request).settings.max_rows, by=query.page_by)
    text, cut = await searched(request, query, substitutions, query.text, rows=None if page is None else page.last)
    if extension in GRAPH_EXTENSIONS:
        if paging:
            raise BadRequest(f"{query.name!r} answers with triples: page and size are for solutions")
        fmt = GRAPH_EXTENSIONS[extension]
        job = QueryJob(text, graph_format=fmt, substitutions=tuple(substitutions.items()))
    else:
        fmt = FORMATS[extension]
        job = QueryJob(text, fmt, substitutions=tuple(substitutions.items()))
    disposition = {"Content-Disposition": f'inline; filename="{query.name}.{extension}"'}
    if cut:  # the search matched more documents than the row cap lets through
        disposition[TRUNCATED] = "true"
    if page is None:
        return await respond(
            request,
            capped(job, query, state_of(request).settings.max_rows),
            disposition,
            made_by_server=f"catalog query {query.name!r}",
        )
    job = paged(replace(job, max_rows=page.size), page, text, substitutions)
    return await respond(
        request,
        job,
        disposition,
        made_by_server=f"catalog query {query.name!r}",
        about_output=lambda output: page_headers(request, page, output, cut),
    )


def catalog_query(request: Request, name: str) -> CannedQuery:
    query = state_of(request).catalog().get(name)
    if query is None:
        raise NotFound(f"no catalog query named {name!r}")
    return query


async def served_form(request: Request, query: CannedQuery) -> CannedQuery:
    """The query, or its direct form (``queries/direct/``) when the served store has no summaries graph (a
    remote store filled by other means than ``sdkg push``) or one that other definitions wrote (a build made
    before an upgrade of the code): the same answer, read the slow way."""
    return (await direct_forms(request)).get(query.name, query)


async def direct_forms(request: Request) -> dict[str, CannedQuery]:
    """The direct forms to answer with instead of the catalog's, once per served build: none when the store
    holds the summaries (every build does)."""
    state = state_of(request)

    async def make() -> dict[str, CannedQuery]:
        layout = state.settings.layout
        if layout is None or not (layout.queries / DIRECT).is_dir():
            return {}
        with server_made("the look-up of the summaries graph"):
            if await ask(state.engine, WRITTEN_BY_THIS_CODE):
                return {}
        try:
            return load_catalog(layout.queries / DIRECT)
        except (CatalogError, OSError, ValueError):
            return {}

    return await state.per_build("direct-forms", make)


DIRECT = "direct"


def paged(job: QueryJob, page: Page, text: str, substitutions: Mapping[str, Term]) -> QueryJob:
    """The job for one page: a page by row numbers binds the parameters in its own ``VALUES`` block
    (:meth:`Page.query`), any other page leaves them to the job."""
    query, left = page.bind(text, substitutions)
    return replace(job, query=query, substitutions=tuple(left.items()))


def capped(job: QueryJob, query: CannedQuery, max_rows: int | None) -> QueryJob:
    """A whole answer of a numbered listing (``# page-by:``), as the row cap will cut it: the rows numbered up to
    the cap and one more, so that the engine reads those instead of sorting every row; the same rows, and
    ``truncated`` when there are more."""
    if not query.page_by or not max_rows or job.query != query.text:
        return job
    return paged(job, Page(1, max_rows, query.page_by), job.query, dict(job.substitutions))


def paged_params(request: Request, query: CannedQuery) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The paging values (``page``, ``size``) and the query's own parameters, from the query string."""
    if any(p.name in paging.RESERVED for p in query.parameters):
        raise HttpError(f"catalog query {query.name!r} declares a parameter named page or size, which paging uses", 500)
    return paging.split(list(request.query_params.multi_items()))


async def canned_page(request: Request, name: str) -> Response:
    """``/queries/{name}``: one page of the answer as an HTML table, with links to the next and previous
    pages and to the same page as JSON and CSV."""
    query = await served_form(request, catalog_query(request, name))
    if makes_graph(query):
        offered = " or ".join(f"/queries/{query.name}.{e}" for e in answer_extensions(query))
        raise NotFound(f"{query.name!r} answers with triples (a CONSTRUCT): ask for {offered}")
    values, params = paged_params(request, query)
    state = state_of(request)
    with server_made(f"the parameter look-up of {query.name!r}"):
        substitutions = await resolve(state.engine, query, params)
    page = page_of(values, query.text, state.settings.max_rows, always=True, by=query.page_by)
    assert page is not None
    text, cut = await searched(request, query, substitutions, query.text, rows=page.last)
    job = paged(QueryJob(text, FORMATS["json"], max_rows=page.size), page, text, substitutions)
    with server_made(f"catalog query {query.name!r}"):
        output = await state.engine.run(job, request.scope.get("sdkg.arrived"))
    data = json.loads(output.body)
    columns: list[str] = data["head"]["vars"]
    rows = [[cell(binding.get(c)) for c in columns] for binding in data["results"]["bindings"]]
    more = paging.has_next(page, output)
    headers = paging.page_headers(request, page, output, cut)
    return render(
        request,
        "canned.html",
        headers={k: v for k, v in headers.items() if k != TRUNCATED},
        title=query.title,
        query=query,
        columns=columns,
        rows=rows,
        page=page,
        first_row=page.offset + 1,
        previous=paging.link(request, page.number - 1) if page.number > 1 else None,
        first=paging.link(request, 1) if page.number > 1 else None,
        next=paging.link(request, page.number + 1) if more else None,
        cut=(output.truncated and not more) or cut,
        formats={
            ext: f"{request.url.path}.{ext}?{request.url.include_query_params(page=page.number).query}"
            for ext in FORMATS
        },
    )


def cell(binding: dict[str, str] | None) -> dict[str, str] | None:
    """A SPARQL JSON binding as the ``term`` macro reads it."""
    if binding is None:
        return None
    return {
        "kind": binding["type"],
        "value": binding["value"],
        "lang": binding.get("xml:lang", ""),
        "datatype": binding.get("datatype", ""),
    }


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
