"""The FastAPI application: a read-only SPARQL 1.1 endpoint over the published store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .. import __version__
from ..sparql.engine import Engine, LocalEngine
from ..sparql.execute import QueryOutput, looks_like_update
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, NotAcceptable, negotiate
from ..sparql.protocol import ProtocolError, QueryRequest, parse_get, parse_post


@dataclass
class Settings:
    """What the server publishes: a built store and, when serving a project, its root
    (for the query catalog, the ontology documentation and the shapes)."""

    store_path: Path
    root: Path | None = None
    title: str = "SDKG: the Security Discourse Knowledge Graph"


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def create_app(settings: Settings) -> FastAPI:
    """Serve the store at ``settings.store_path`` read-only."""
    app = FastAPI(title=settings.title, version=__version__)
    engine: Engine = LocalEngine(settings.store_path)
    app.state.engine = engine
    app.state.settings = settings

    def formats_for(request: Request, fmt: str | None) -> tuple[Format | None, Format | None]:
        accept = request.headers.get("accept")
        results: Format | None
        graph: Format | None
        try:
            results = negotiate(accept, RESULT_FORMATS, fmt)
        except NotAcceptable:
            results = None
        try:
            graph = negotiate(accept, GRAPH_FORMATS, fmt)
        except NotAcceptable:
            graph = None
        return results, graph

    async def answer(request: Request, parsed: QueryRequest) -> Response:
        if parsed.update is not None:
            return error(403, "this endpoint is read-only: SPARQL updates are not allowed")
        if parsed.query is None:
            return error(400, "missing 'query' parameter")
        results, graph = formats_for(request, parsed.format)
        try:
            output: QueryOutput = await engine.run(parsed.query, results, graph, parsed.dataset, timeout=parsed.timeout)
        except SyntaxError as exc:
            if looks_like_update(parsed.query):
                return error(403, "this endpoint is read-only: SPARQL updates are not allowed")
            return error(400, f"malformed query: {exc}")
        except NotAcceptable:
            offered = RESULT_FORMATS + GRAPH_FORMATS
            return error(406, "Not Acceptable: supported types are " + ", ".join(f.media_type for f in offered))
        except (ValueError, OSError) as exc:
            return error(400, f"query failed: {exc}")
        return Response(output.body, media_type=output.media_type, headers={"Vary": "Accept", **output.headers})

    @app.get("/sparql", summary="SPARQL 1.1 query (GET)")
    async def sparql_get(request: Request) -> Response:
        try:
            parsed = parse_get(request.url.query)
        except ProtocolError as exc:
            return error(exc.status, exc.message)
        return await answer(request, parsed)

    @app.post("/sparql", summary="SPARQL 1.1 query (POST form-encoded or application/sparql-query)")
    async def sparql_post(request: Request) -> Response:
        try:
            parsed = parse_post(request.headers.get("content-type"), await request.body(), request.url.query)
        except ProtocolError as exc:
            return error(exc.status, exc.message)
        return await answer(request, parsed)

    @app.get("/health", summary="Liveness and store size")
    async def health() -> dict[str, object]:
        return {"status": "ok", "triples": engine.triple_count(), "version": __version__}

    return app
