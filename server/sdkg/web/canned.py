"""Canned queries: each catalog query answered at ``/queries/{name}.json`` and ``.csv``.

Parameters come from the query string and are bound as a ``VALUES`` block of terms that
pyoxigraph serialises (escaped and validated, never pasted from the request): unlike
pyoxigraph's ``substitutions``, which the optimiser plans as if the variable were unbound
(a 3.8M-triple store: 14 s instead of 0.2 s for ``actors-with-wikidata``), the planner sees
the values and starts from them. A parameter the query does not declare is a 400.
Federated queries (Wikidata SERVICE clauses) are prepared by :func:`sdkg.sparql.federation.prepare`
first: their endpoints mapped to the configured ones and ``?item`` bound to our QIDs.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..catalog import CannedQuery, CatalogError, load_catalog
from ..sparql import federation
from ..sparql.engine import Engine
from ..sparql.errors import EngineBusy, MalformedQuery, QueryFailed, QueryTimeout, Refused, Unverifiable, WorkerFailed
from ..sparql.job import QueryJob
from ..sparql.negotiation import RESULT_FORMATS, Format

router = APIRouter()

FORMATS: dict[str, Format] = {f.name: f for f in RESULT_FORMATS if f.name in ("json", "csv")}
QUERY_TEXT = "rq"


class CannedError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def catalog_of(request: Request) -> dict[str, CannedQuery]:
    root: Path | None = request.app.state.settings.root
    if root is None or not (root / "queries").is_dir():
        return {}
    try:
        return load_catalog(root / "queries")
    except (CatalogError, OSError) as exc:
        raise CannedError(500, f"the query catalog cannot be read: {exc}") from None


def bindings(query: CannedQuery, params: list[tuple[str, str]]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Every declared parameter bound: the given value, else its default."""
    declared = {p.name: p for p in query.parameters}
    given: dict[str, str] = {}
    for name, value in params:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise CannedError(400, f"unknown parameter {name!r} for query {query.name!r} (parameters: {known})")
        if name in given:
            raise CannedError(400, f"parameter {name!r} is given twice")
        given[name] = value
    try:
        return {name: p.term(given.get(name)) for name, p in declared.items()}
    except ValueError as exc:
        raise CannedError(400, f"bad parameter value: {exc}") from None


def describe(query: CannedQuery) -> dict[str, object]:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "question": query.question,
        "parameters": [{"name": p.name, "default": p.default, "description": p.description} for p in query.parameters],
        "federated": federation.is_federated(query.text),
        "links": {ext: f"/queries/{query.name}.{ext}" for ext in (*FORMATS, QUERY_TEXT)},
    }


@router.get("/queries", summary="The query catalog: every canned query with its parameters and links")
async def list_queries(request: Request) -> Response:
    try:
        catalog = catalog_of(request)
    except CannedError as exc:
        return problem(exc.status, exc.message)
    return JSONResponse({"queries": [describe(q) for q in catalog.values()]})


@router.get("/queries/{file}", summary="Run a canned query: /queries/{name}.json or .csv (or .rq for its text)")
async def run_canned(request: Request, file: str) -> Response:
    name, _, extension = file.rpartition(".")
    if not name or (extension not in FORMATS and extension != QUERY_TEXT):
        return problem(404, f"no such resource {file!r}: use /queries/{{name}}.json, .csv or .rq")
    try:
        query = catalog_of(request).get(name)
        if query is None:
            return problem(404, f"no catalog query named {name!r}")
        substitutions = bindings(query, list(request.query_params.multi_items()))
        if extension == QUERY_TEXT:
            return PlainTextResponse(query.text, media_type="application/sparql-query; charset=utf-8")
        return await answer(request.app.state.engine, query, substitutions, FORMATS[extension])
    except CannedError as exc:
        return problem(exc.status, exc.message)


async def answer(
    engine: Engine, query: CannedQuery, substitutions: dict[str, ox.NamedNode | ox.Literal], fmt: Format
) -> Response:
    federated = federation.is_federated(query.text)
    try:
        text = await federation.prepare(engine, query.text)
        output = await engine.run(QueryJob(text, fmt, substitutions=tuple(substitutions.items())))
    except MalformedQuery as exc:
        raise CannedError(500, f"catalog query {query.name!r} is malformed: {exc}") from None
    except Refused as exc:
        raise CannedError(400 if isinstance(exc, Unverifiable) else 403, str(exc)) from None
    except QueryTimeout as exc:
        raise CannedError(504, f"query timed out: {exc}") from None
    except (EngineBusy, WorkerFailed) as exc:
        raise CannedError(503, str(exc)) from None
    except QueryFailed as exc:
        if federated:
            raise CannedError(502, f"Wikidata could not be queried (offline or unavailable): {exc}") from None
        raise CannedError(400, f"query failed: {exc}") from None
    headers = {"Content-Disposition": f'inline; filename="{query.name}.{fmt.name}"'}
    return Response(output.body, media_type=output.media_type, headers=headers)
