"""The FastAPI application, assembled: settings → server state → error handler → middleware → routers.

Nothing here answers a request. Each router module owns its routes; adding one is a line in
:data:`ROUTERS`. How a route runs a query, fails and finishes its response is the same for
all (docs/architecture.md, "Adding a route"): it builds a :class:`~sdkg.sparql.job.QueryJob`
and calls :func:`.finish.respond` (or the engine, through :func:`~.state.state_of`), and it
raises errors, which :mod:`.errors` answers.
"""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from .. import __version__
from . import canned, errors, explore_routes, pages, search_routes, service_routes, sparql_routes, store_routes, ui
from .finish import ROW_LIMIT, TRUNCATED
from .limits import BodyLimit
from .settings import Settings
from .state import ServerState

ROUTERS: list[APIRouter] = [
    sparql_routes.router,  # /sparql: queries, updates, the service description
    store_routes.router,  # /store: the Graph Store Protocol
    service_routes.router,  # /.well-known/void, /catalog, /context.jsonld, /health, /metrics
    pages.router,  # /id/..., /ontology: linked-data pages
    ui.router,  # /, /static: the query page
    canned.router,  # /queries: the catalog as configuration
    search_routes.router,  # /search, /search/suggest: full-text search and type-ahead
    explore_routes.router,  # /explore, /cite: the claim explorer and citations
]

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings) -> FastAPI:
    """Serve the store at ``settings.store_path``."""
    state = ServerState.serving(settings)
    atexit.register(state.engine.close)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.engine.start()
        yield
        await state.engine.stop()

    app = FastAPI(title=settings.title, version=__version__, lifespan=lifespan)
    app.state.server = state
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Last-Modified", TRUNCATED, ROW_LIMIT, "Content-Length"],
    )
    for router in ROUTERS:
        app.include_router(router)
    return app
