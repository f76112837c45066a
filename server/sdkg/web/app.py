"""The application, assembled: settings → server state → error handler → routers → the front layer.

Nothing here answers a request. Each router module owns its routes; adding one is a line in
:data:`ROUTERS`. How a route runs a query, fails and finishes its response is the same for
all (docs/architecture.md, "Adding a route"): it builds a :class:`~sdkg.sparql.job.QueryJob`
and calls :func:`.finish.respond` (or the engine, through :func:`~.state.state_of`), and it
raises errors, which :mod:`.errors` answers. In front of the FastAPI app is one plain ASGI
layer (:class:`.front.Front`: limits, CORS, compression, page headers), which also sends
``/sparql`` straight to its endpoint.
"""

from __future__ import annotations

import asyncio
import atexit
import warnings
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from .. import __version__
from . import (
    canned,
    compare,
    curation,
    errors,
    explore_routes,
    pages,
    reconcile_routes,
    search_routes,
    service_routes,
    sparql_routes,
    store_routes,
    ui,
)
from .front import Front
from .metrics import Metrics
from .settings import Settings
from .state import ServerState

ROUTERS: list[APIRouter] = [
    sparql_routes.router,  # /sparql: queries, updates, the service description
    store_routes.router,  # /store: the Graph Store Protocol
    service_routes.router,  # /.well-known/void, /catalog, /context.jsonld, /health, /metrics
    pages.router,  # /id/..., /ontology: linked-data pages
    compare.router,  # /compare, /compare/discourses: the sources and the discourses side by side
    ui.router,  # /, /static, /docs: the query page, static files, the API documentation
    canned.router,  # /queries: the catalog as configuration
    curation.router,  # /curation: Wikidata link coverage, unlinked linkable entities, weak links
    reconcile_routes.router,  # /reconcile: the Reconciliation Service API 0.2
    search_routes.router,  # /search, /search/suggest: full-text search and type-ahead
    explore_routes.router,  # /explore, /cite: the claim explorer and citations
]

__all__ = ["Settings", "create_app"]


class App(Front):
    """The served application: the front layer around the FastAPI app (``.state`` and ``.fastapi`` reach it)."""

    @property
    def state(self) -> Any:
        return self.app.state

    @property
    def fastapi(self) -> FastAPI:
        return self.app


def create_app(settings: Settings, metrics: Metrics | None = None) -> App:
    """Serve the store at ``settings.store_path`` (counting its queries in ``metrics``: shared between serving
    processes, :mod:`.processes`)."""
    state = ServerState.serving(settings, metrics)
    atexit.register(state.engine.close)
    atexit.register(state.stop_serving)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start_serving()
        await state.engine.start()
        watcher = asyncio.get_running_loop().create_task(state.follow_builds())
        yield
        watcher.cancel()
        await state.engine.stop()
        state.stop_serving()

    # /docs is served by .ui with the vendored Swagger UI (no CDN); ReDoc would load from one
    app = FastAPI(title=settings.title, version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.server = state
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    document_each_operation_once(app)
    endpoints = {"/sparql": sparql_routes.endpoint}
    at_once = {"/sparql": sparql_routes.endpoint_now}
    return App(app, endpoints, settings.max_request_bytes, settings.max_url_bytes, at_once)


def document_each_operation_once(app: FastAPI) -> None:
    """``/openapi.json`` with an ``operationId`` of its own for every operation, as OpenAPI requires.

    FastAPI documents a route that answers several methods once per method under one id. A HEAD
    answers as its GET does, without a body (RFC 9110), so it is left to its GET; a route that
    answers GET and POST (``/reconcile``) gets the method at the end of each id.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
                schema = generate()
            for path in schema["paths"].values():
                if "get" in path:
                    path.pop("head", None)
            seen = Counter(op.get("operationId") for path in schema["paths"].values() for op in path.values())
            for path in schema["paths"].values():
                for method, operation in path.items():
                    identifier = operation.get("operationId")
                    if identifier and seen[identifier] > 1 and not identifier.endswith(f"_{method}"):
                        operation["operationId"] = f"{identifier.rsplit('_', 1)[0]}_{method}"
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
