"""A REFERENCE, not a server to use: the naive FastAPI app over pyoxigraph that issue 17 compares us with.

About 60 lines and no guards at all: no time limit, no row or byte cap, no SERVICE/LOAD
check, no body limit, no logging or metrics. It shows what a SPARQL request costs in plain
Python when nothing protects the server, in memory (``--memory``: the N-Quads file loaded
into ``Store()``) or on disk (``Store.read_only`` of an Oxigraph directory). Queries run in
Starlette's thread pool (pyoxigraph releases the GIL), evaluation and serialisation in one
thread call, as pyoxigraph's result objects require.

    python -m bench.naive --port 18310 (--memory FILE.nq | --location DIR)
"""

from __future__ import annotations

import argparse

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


def app_for(store: ox.Store) -> FastAPI:
    app = FastAPI()

    def run(query: str, accept: str) -> tuple[bytes, str]:
        result = store.query(query, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return result.serialize(format=ox.RdfFormat.N_TRIPLES) or b"", "application/n-triples"
        media = next((m for m in RESULTS if m in accept), "application/sparql-results+json")
        return result.serialize(format=RESULTS[media]) or b"", media

    async def answer(query: str | None, request: Request) -> Response:
        if not query:
            return Response("missing query", status_code=400)
        try:
            body, media = await run_in_threadpool(run, query, request.headers.get("accept", ""))
        except SyntaxError as error:
            return Response(str(error), status_code=400)
        return Response(body, media_type=media)

    @app.get("/sparql")
    async def get(request: Request) -> Response:
        return await answer(request.query_params.get("query"), request)

    @app.post("/sparql")
    async def post(request: Request) -> Response:
        form = await request.form()
        query = form.get("query")
        return await answer(query if isinstance(query, str) else None, request)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--memory", help="N-Quads file to load into an in-memory store")
    where.add_argument("--location", help="Oxigraph store directory, opened read-only")
    args = parser.parse_args()
    if args.memory:
        store = ox.Store()
        store.bulk_load(path=args.memory, format=ox.RdfFormat.N_QUADS)
    else:
        store = ox.Store.read_only(args.location)
    uvicorn.run(app_for(store), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
